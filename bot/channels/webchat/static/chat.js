/* The web chat page. No framework, no inline code (the CSP forbids it), and never
   innerHTML: every word is set as text, and <b>/<i> come as runs from the server. */
"use strict";

(() => {
  const SOCKET_PATH = "/chat/socket";
  const EXIT_PATH = "/chat/exit";
  const FILE_PATH = "/chat/file";
  const COUNTER_FROM = 0.8; // the counter shows once a text fills this much of the limit
  const ESC_WINDOW_MS = 1500;
  const EXIT_WAIT_MS = 400;

  const byId = (id) => document.getElementById(id);
  const log = byId("log");
  const form = byId("compose");
  const input = byId("input");
  const typing = byId("typing");
  const statusLine = byId("status");
  const exitLink = byId("exit");
  const counter = byId("counter");
  const attachArea = byId("attach-area");
  const attachButton = byId("attach");
  const fileInput = byId("file");
  const config = document.body.dataset;
  const MAX_FILE = Number(config.maxFileBytes);
  const FILE_TYPES = (config.fileTypes || "").split(" ").filter(Boolean);

  let texts = {};
  let socket = null;
  let ended = false;
  let connectedOnce = false;
  let retries = 0;
  let retryTimer = null;
  let lastEscape = 0;
  let pressed = null; // {msg, value}: the question whose button was pressed last
  let lastMine = null; // the student's last message, hidden when it held a receipt code
  let cameFromButton = false;
  // What the box takes for the question on screen (the server's limits, per turn).
  let box = { limit: Number(config.maxChars) || 4000, parts: false, files: false };
  // Sending: one message at a time, each waits for the server's answer (ack/refused).
  const queue = [];
  let inFlight = null;
  let nextId = 1;

  const t = (key) => texts[key] || "";
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) =>
    (name in values ? String(values[name]) : all));

  /* --- words ------------------------------------------------------------------- */

  function applyTexts(lang, table) {
    texts = table;
    document.documentElement.lang = lang;
    document.title = t("web_title");
    for (const el of document.querySelectorAll("[data-text]")) {
      if (el !== statusLine) el.textContent = fmt(t(el.dataset.text), el.dataset);
    }
    updateCounter();
    input.placeholder = t("web_input_placeholder");
    log.setAttribute("aria-label", t("web_log_label"));
  }

  function appendRuns(parent, runs) {
    for (const [text, style] of runs) {
      let node = document.createTextNode(text);
      if (style.includes("t")) {
        // A help-line number: tappable. Only its digits (and a leading +) go in the link.
        const a = document.createElement("a");
        a.className = "tel";
        a.href = "tel:" + text.replace(/[^\d+]/g, "");
        a.append(node);
        node = a;
      } else if (style.includes("w")) {
        // A web address (a contact from config.yaml): a link in a new tab, no referrer.
        const a = document.createElement("a");
        a.className = "site";
        a.href = (/^https?:\/\//i.test(text) ? "" : "https://") + text;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.append(node);
        node = a;
      }
      if (style.includes("i")) {
        const i = document.createElement("i");
        i.append(node);
        node = i;
      }
      if (style.includes("b")) {
        const b = document.createElement("b");
        b.append(node);
        node = b;
      }
      parent.append(node);
    }
  }

  function speaker(key) {
    const who = document.createElement("span");
    who.className = "sr-only";
    who.textContent = t(key) + " ";
    return who;
  }

  /* --- messages ----------------------------------------------------------------- */

  function botMessage(reply, kind) {
    const msg = document.createElement("div");
    msg.className = "msg " + (kind || "bot");
    msg.dataset.key = reply.key;
    const text = document.createElement("p");
    text.className = "text";
    text.append(speaker("web_bot"));
    appendRuns(text, reply.runs);
    msg.append(text);
    if (reply.code) msg.append(receiptBox(reply.code)); // the code, once: not in the text
    if (reply.after && reply.after.length) {
      const rest = document.createElement("p");
      rest.className = "text";
      appendRuns(rest, reply.after);
      msg.append(rest);
    }
    if (reply.buttons && reply.buttons.length) msg.append(buttonRows(msg, reply.buttons));
    return msg;
  }

  function buttonRows(msg, rows) {
    const group = document.createElement("div");
    group.className = "buttons";
    group.setAttribute("role", "group");
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "row";
      for (const b of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "choice";
        button.textContent = b.label;
        if (b.advance) button.classList.add("advance"); // "Next"/"Done": not an answer
        if (typeof b.pressed === "boolean") {
          button.classList.add("toggle");
          button.setAttribute("aria-pressed", String(b.pressed));
        }
        button.addEventListener("click", () => press(msg, button, b));
        line.append(button);
      }
      group.append(line);
    }
    return group;
  }

  function receiptBox(code) {
    const box = document.createElement("div");
    box.className = "receipt";
    const shown = document.createElement("p");
    shown.className = "code";
    shown.textContent = code;
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy";
    copy.textContent = t("web_copy");
    const said = document.createElement("p");
    said.className = "copied";
    said.setAttribute("role", "status");
    copy.addEventListener("click", () => copyCode(code, shown, said));
    // No advice of its own: the receipt's text says how to keep the code (one advice,
    // and the receipt fits one phone screen: one code, said once).
    box.append(shown, copy, said);
    return box;
  }

  async function copyCode(code, shown, said) {
    try {
      await navigator.clipboard.writeText(code);
      said.textContent = t("web_copied");
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents(shown);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      said.textContent = t("web_copy_failed");
    }
  }

  function myMessage(text, label) {
    const msg = document.createElement("div");
    msg.className = "msg you pending";
    const p = document.createElement("p");
    p.className = "text";
    p.append(speaker("web_you"));
    if (label) {
      const b = document.createElement("b");
      b.textContent = t(label) + " ";
      p.append(b);
    }
    p.append(document.createTextNode(text));
    const mark = document.createElement("p");
    mark.className = "mark";
    mark.textContent = t("web_pending_mark");
    msg.append(p, mark);
    log.append(msg);
    lastMine = msg;
    scrollDown();
    return msg;
  }

  function markSent(msg) {
    if (!msg) return;
    msg.classList.remove("pending");
    const mark = msg.querySelector(".mark");
    if (mark) mark.remove();
  }

  function markNotSent(msg) {
    if (!msg) return;
    msg.classList.remove("pending");
    msg.classList.add("failed");
    let mark = msg.querySelector(".mark");
    if (!mark) {
      mark = document.createElement("p");
      mark.className = "mark";
      msg.append(mark);
    }
    mark.textContent = t("web_not_sent_mark");
  }

  function note(reply) {
    log.append(botMessage(reply, "note"));
    scrollDown();
  }

  function plainNote(key, values) {
    note({ key, runs: [[fmt(t(key), values || {}), ""]], buttons: [] });
  }

  function setButtons(scope, enabled) {
    for (const b of scope.querySelectorAll("button.choice")) {
      b.disabled = !enabled;
      if (enabled) b.classList.remove("chosen");
    }
  }

  function scrollDown() {
    window.scrollTo(0, document.body.scrollHeight);
  }

  /* --- input -------------------------------------------------------------------- */

  function enqueue(item) {
    item.id = nextId++;
    queue.push(item);
    pump();
  }

  function pump() {
    if (inFlight || !queue.length) return;
    if (!socket || socket.readyState !== WebSocket.OPEN) return; // sent once connected
    inFlight = queue.shift();
    typing.hidden = false;
    if (inFlight.file) {
      upload(inFlight);
      return;
    }
    socket.send(JSON.stringify({ ...inFlight.frame, id: inFlight.id }));
  }

  /* The server answered the message in flight: sent, or not (then it and everything
     queued behind it go back, marked, and their words back in the box). */
  function settle(ok) {
    const item = inFlight;
    inFlight = null;
    if (!item) return;
    if (ok) {
      markSent(item.bubble);
    } else {
      giveBack([item, ...queue.splice(0)]);
    }
    pump();
  }

  function giveBack(items) {
    const words = [];
    for (const item of items) {
      markNotSent(item.bubble);
      if (item.text) words.push(item.text);
      if (item.msg && item.msg.isConnected && isLastQuestion(item.msg)) {
        setButtons(item.msg, true);
      }
    }
    if (words.length) {
      input.value = [...words, input.value].filter((w) => w.trim()).join("\n\n");
      updateCounter();
      if (items.length > 1) plainNote("web_returned");
    }
  }

  function sendText(text) {
    const bubble = myMessage(text);
    enqueue({ frame: { type: "text", text }, text, bubble });
  }

  function press(msg, button, b) {
    setButtons(msg, false);
    button.classList.add("chosen");
    pressed = { msg, value: b.value };
    cameFromButton = true;
    enqueue({ frame: { type: "press", turn: b.turn, value: b.value }, msg });
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (text.length > box.limit) {
      tooLong(text);
      return;
    }
    sendText(text);
    input.value = "";
    updateCounter();
    cameFromButton = false;
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  input.addEventListener("input", updateCounter);

  /* --- long text: said before sending, sent in parts where the question takes them -- */

  function updateCounter() {
    const used = input.value.length;
    const left = box.limit - used;
    counter.hidden = used < box.limit * COUNTER_FROM;
    counter.classList.toggle("over", left < 0);
    counter.textContent = left >= 0
      ? fmt(t("web_chars_left"), { count: left })
      : fmt(t("web_chars_over"), { count: -left });
  }

  function tooLong(text) {
    updateCounter();
    if (!box.parts) {
      counter.setAttribute("role", "alert"); // said aloud; the text stays in the box
      input.focus();
      return;
    }
    const parts = splitText(text, box.limit);
    const offer = botMessage({
      key: "web_too_long",
      runs: [[fmt(t("web_too_long"), { limit: box.limit, parts: parts.length }), ""]],
      buttons: [],
    }, "note");
    const row = document.createElement("div");
    row.className = "buttons";
    const go = document.createElement("button");
    go.type = "button";
    go.className = "choice advance";
    go.textContent = fmt(t("web_send_parts"), { parts: parts.length });
    const edit = document.createElement("button");
    edit.type = "button";
    edit.className = "choice";
    edit.textContent = t("web_keep_editing");
    go.addEventListener("click", () => {
      offer.remove();
      if (input.value !== text) return; // changed meanwhile: the student decides again
      input.value = "";
      updateCounter();
      for (const part of parts) sendText(part);
    });
    edit.addEventListener("click", () => {
      offer.remove();
      input.focus();
    });
    row.append(go, edit);
    offer.append(row);
    log.append(offer);
    scrollDown();
    go.focus();
  }

  /* Parts of at most `limit`, cut after a sentence, else between words; nothing is
     left out but the spaces at a cut. */
  function splitText(text, limit) {
    const parts = [];
    let rest = text.trim();
    while (rest.length > limit) {
      const head = rest.slice(0, limit + 1);
      let cut = Math.max(...[". ", "! ", "? ", "\n"].map((end) => head.lastIndexOf(end)));
      if (cut >= limit / 2) cut += 1;
      else cut = head.lastIndexOf(" ");
      if (cut < limit / 2) {
        cut = limit;
        const code = rest.charCodeAt(cut - 1);
        if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // never half an emoji
      }
      parts.push(rest.slice(0, cut).trim());
      rest = rest.slice(cut).trim();
    }
    if (rest) parts.push(rest);
    return parts;
  }

  /* --- files: a photo or PDF for the adviser ----------------------------------------- */

  attachButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (!file) return;
    const mb = Math.max(1, Math.floor(MAX_FILE / (1024 * 1024)));
    if (file.size > MAX_FILE) {
      plainNote("web_file_too_large", { mb });
      return;
    }
    if (file.type && !FILE_TYPES.includes(file.type)) {
      plainNote("web_file_wrong_type", { mb });
      return;
    }
    const bubble = myMessage(file.name, "web_file_label");
    enqueue({ file, bubble });
  });

  async function upload(item) {
    let frames = null;
    try {
      const response = await fetch(FILE_PATH, {
        method: "POST",
        body: item.file,
        credentials: "same-origin",
        cache: "no-store",
        headers: { "X-File-Name": encodeURIComponent(item.file.name) },
      });
      if (response.ok) frames = (await response.json()).frames;
    } catch (_) { /* no network: said below */ }
    if (inFlight !== item) return;
    if (!Array.isArray(frames)) {
      typing.hidden = true;
      plainNote("web_not_sent");
      settle(false);
      return;
    }
    let ok = true;
    for (const frame of frames) {
      if (frame.type === "notice") ok = false;
      handle(frame);
    }
    settle(ok && !frames.some(refusesText));
  }

  /* --- frames from the server ----------------------------------------------------- */

  function onTurn(frame) {
    typing.hidden = true;
    if (frame.erase) {
      log.replaceChildren();
      pressed = null;
      lastMine = null;
    }
    if (frame.hide_input) {
      // The message that held a receipt code: the one this turn answers.
      const answered = inFlight && frame.ack === inFlight.id ? inFlight.bubble : lastMine;
      if (answered) answered.remove();
      if (answered === lastMine) lastMine = null;
    }
    const replies = frame.replies.slice();
    if (frame.box) {
      box = frame.box;
      attachArea.hidden = !box.files;
      updateCounter();
    }
    if (frame.intro && !log.childElementCount) log.append(botMessage(frame.intro));
    else if (frame.resumed && log.childElementCount) plainNote("web_reconnected");
    let focusTarget = null;
    if (frame.replace && pressed && replies.length && pressed.msg.isConnected) {
      const fresh = botMessage(replies.shift());
      pressed.msg.replaceWith(fresh);
      focusTarget = sameButton(fresh, pressed.value);
      pressed.msg = fresh;
    } else if (replies.some((r) => r.buttons && r.buttons.length)) {
      setButtons(log, false);
    }
    let lastAsked = null;
    for (const reply of replies) {
      const msg = botMessage(reply);
      log.append(msg);
      if (reply.buttons && reply.buttons.length) lastAsked = msg;
    }
    scrollDown();
    if (!focusTarget && cameFromButton) {
      focusTarget = lastAsked ? lastAsked.querySelector("button.choice") : input;
    }
    if (focusTarget) focusTarget.focus();
    cameFromButton = false;
  }

  function sameButton(msg, value) {
    const labels = [...msg.querySelectorAll("button.choice")];
    const index = pressed ? [...pressed.msg.querySelectorAll("button.choice")].findIndex(
      (b) => b.classList.contains("chosen")) : -1;
    return labels[index] || labels[0] || null;
  }

  function onNotice(frame) {
    typing.hidden = true;
    if (pressed && pressed.msg.isConnected && isLastQuestion(pressed.msg)) {
      setButtons(pressed.msg, true); // the press was refused: the question stays open
    }
    if (!frame.repeat) note(frame.reply);
  }

  // The engine's "too long" is an answer, but the words did not get in: keep them.
  const refusesText = (frame) => frame.type === "turn" &&
    frame.replies.some((r) => r.key === "text_too_long");

  function isLastQuestion(msg) {
    const asked = log.querySelectorAll(".msg.bot .buttons");
    return asked.length && asked[asked.length - 1].closest(".msg") === msg;
  }

  function onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (_) {
      return;
    }
    handle(frame);
    if (inFlight && !inFlight.file) {
      if (frame.type === "turn" && frame.ack === inFlight.id) settle(!refusesText(frame));
      else if (frame.type === "notice" && frame.refused === inFlight.id) settle(false);
    }
  }

  function handle(frame) {
    if (frame.type === "texts") applyTexts(frame.lang, frame.texts);
    else if (frame.type === "turn") onTurn(frame);
    else if (frame.type === "notice") onNotice(frame);
    else if (frame.type === "ended") endSession(frame.reply);
  }

  /* --- the connection ------------------------------------------------------------- */

  function connect() {
    retryTimer = null;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + SOCKET_PATH);
    socket.addEventListener("open", () => {
      retries = 0;
      statusLine.textContent = "";
      connectedOnce = true;
      pump();
    });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", (event) => {
      typing.hidden = true;
      socket = null;
      if (inFlight && !inFlight.file) {
        // Perhaps never arrived: back in the box (with all after it, in order).
        const lost = [inFlight, ...queue.splice(0)];
        inFlight = null;
        giveBack(lost);
      }
      if (ended) return;
      if (event.code === 4401) {
        endSession(null);
        return;
      }
      statusLine.textContent = connectedOnce ? t("web_connection_lost") : t("web_connecting");
      const delay = Math.min(500 * 2 ** retries, 5000);
      retries += 1;
      retryTimer = setTimeout(connect, delay);
    });
  }

  function endSession(reply) {
    ended = true;
    if (reply) note(reply);
    else plainNote("web_session_ended");
    statusLine.textContent = "";
    setButtons(log, false);
  }

  /* --- quick exit ------------------------------------------------------------------ */

  function quickExit(event) {
    if (event) event.preventDefault();
    const target = exitLink.href;
    ended = true;
    if (retryTimer) clearTimeout(retryTimer);
    const forget = fetch(EXIT_PATH, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      keepalive: true,
    }).catch(() => undefined);
    try {
      if (socket) socket.close();
    } catch (_) { /* going anyway */ }
    try {
      sessionStorage.clear();
      localStorage.clear();
    } catch (_) { /* storage may be off */ }
    document.title = "";
    document.documentElement.replaceChildren();
    const leave = () => location.replace(target);
    Promise.race([forget, new Promise((done) => setTimeout(done, EXIT_WAIT_MS))]).then(leave, leave);
  }

  exitLink.addEventListener("click", quickExit);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.repeat) return;
    const now = Date.now();
    if (now - lastEscape < ESC_WINDOW_MS) quickExit(event);
    else lastEscape = now;
  });

  connect();
})();
