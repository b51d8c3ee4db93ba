/* The web chat page. No framework, no inline code (the CSP forbids it), and never
   innerHTML: every word is set as text, and <b>/<i> come as runs from the server. */
"use strict";

(() => {
  const SOCKET_PATH = "/chat/socket";
  const EXIT_PATH = "/chat/exit";
  const ESC_WINDOW_MS = 1500;
  const EXIT_WAIT_MS = 400;

  const byId = (id) => document.getElementById(id);
  const log = byId("log");
  const form = byId("compose");
  const input = byId("input");
  const typing = byId("typing");
  const statusLine = byId("status");
  const exitLink = byId("exit");

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

  const t = (key) => texts[key] || "";

  /* --- words ------------------------------------------------------------------- */

  function applyTexts(lang, table) {
    texts = table;
    document.documentElement.lang = lang;
    document.title = t("web_title");
    for (const el of document.querySelectorAll("[data-text]")) {
      if (el !== statusLine) el.textContent = t(el.dataset.text);
    }
    input.placeholder = t("web_input_placeholder");
    log.setAttribute("aria-label", t("web_log_label"));
  }

  function appendRuns(parent, runs) {
    for (const [text, style] of runs) {
      let node = document.createTextNode(text);
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
    if (reply.code) msg.append(receiptBox(reply.code));
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
    const keep = document.createElement("p");
    keep.className = "keep";
    keep.textContent = t("web_receipt_hint");
    const said = document.createElement("p");
    said.className = "copied";
    said.setAttribute("role", "status");
    copy.addEventListener("click", () => copyCode(code, shown, said));
    box.append(shown, copy, keep, said);
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

  function myMessage(text) {
    const msg = document.createElement("div");
    msg.className = "msg you";
    const p = document.createElement("p");
    p.className = "text";
    p.append(speaker("web_you"), document.createTextNode(text));
    msg.append(p);
    log.append(msg);
    lastMine = msg;
    scrollDown();
  }

  function note(reply) {
    log.append(botMessage(reply, "note"));
    scrollDown();
  }

  function plainNote(key) {
    note({ key, runs: [[t(key), ""]], buttons: [] });
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

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      statusLine.textContent = t("web_not_sent");
      return false;
    }
    socket.send(JSON.stringify(frame));
    typing.hidden = false;
    return true;
  }

  function press(msg, button, b) {
    if (!send({ type: "press", turn: b.turn, value: b.value })) return;
    setButtons(msg, false);
    button.classList.add("chosen");
    pressed = { msg, value: b.value };
    cameFromButton = true;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (!send({ type: "text", text })) return;
    myMessage(text);
    input.value = "";
    cameFromButton = false;
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  /* --- frames from the server ----------------------------------------------------- */

  function onTurn(frame) {
    typing.hidden = true;
    if (frame.erase) {
      log.replaceChildren();
      pressed = null;
      lastMine = null;
    }
    if (frame.hide_input && lastMine) {
      lastMine.remove();
      lastMine = null;
    }
    const replies = frame.replies.slice();
    if (frame.resumed && log.childElementCount) plainNote("web_reconnected");
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
    note(frame.reply);
  }

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
    });
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", (event) => {
      typing.hidden = true;
      socket = null;
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
