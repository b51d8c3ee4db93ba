"""The screens after a report is filed: its status with the adviser's messages, replying,
withdrawing, and the student's evaluation of the follow-up.

The thread holds words typed by people (the adviser, the student), so every one of them
is escaped and clipped; the newest messages are shown first in line for the room, and
the student is told when older ones did not fit in Telegram's 4096 characters.
"""

from __future__ import annotations

import datetime
from html import escape

from dialogues.questions import Questions, Rows
from dialogues.state import State
from dialogues.summary import MESSAGE_LIMIT, clip
from dialogues.texts import Texts
from dialogues.types import Reply, StatusFound, ThreadEntry
from vocabulary import EVALUATION_MAX_TEXT, EVALUATION_SCORES, ReportStatus

ENTRY_MAX = 3000  # characters of one escaped message at most, so older ones get a look in
FILE_NAME_MAX = 120  # characters of an escaped file name shown in the thread
ENTRY_MIN = 40  # a message with less room than this is left out rather than cut to nothing
MAX_ATTACHMENT = 10 * 1024 * 1024  # bytes; say it in MB to the student
MAX_REPLY = 4000  # characters of one reply to the adviser
# Statuses in which the student waits for the adviser (not the other way round).
EXPECTING_ANSWER = frozenset({ReportStatus.RECEIVED, ReportStatus.IN_PROGRESS})


class FollowUp:
    def __init__(self, questions: Questions) -> None:
        self.q = questions

    # --- the status view ---------------------------------------------------------------

    def buttons(self, state: State) -> Rows:
        """Drawn on the status view and accepted while it is open: one place for both.
        Reply and Withdraw need a token; without one (a closed report) only Done."""
        done = ((self.q.button(state, "btn_status_done", "status.close"),),)
        if not state.token:
            return done
        share = tuple(
            (self.q.button(state, f"btn_share_{target}", f"status.share_{target}"),)
            for target in state.share
        )
        return (
            (self.q.button(state, "btn_reply", "status.reply"),),
            (self.q.button(state, "btn_withdraw", "status.withdraw"),),
            *share,
            *done,
        )

    def status(self, state: State, found: StatusFound) -> Reply:
        """The one place that builds the status view: its head lines, then the thread."""
        t = self.q.t(state)
        known = found.status in frozenset(ReportStatus)
        key = f"status_{found.status}" if known else "status_in_progress"
        head = "\n".join(self.head_lines(t, key, found))
        thread = self._thread(t, found.thread, MESSAGE_LIMIT - len(head) - 2)
        text = "\n\n".join([head, *thread])
        return Reply(key, text, self.buttons(state), protect=True)

    def head_lines(self, t: Texts, key: str, found: StatusFound) -> list[str]:
        """What is said above the messages, in order; a new line about the report (a
        question after closing, patterns) is added here."""
        lines = [t.get(key, date=_date(found.changed_on))]
        if found.reference:
            reference = escape(found.reference, quote=False)
            lines.insert(0, t.get("status_reference", reference=reference))
        expect = self._expect(t, found)
        if expect:
            lines.append(expect)
        if found.pattern:  # another student named the same company
            lines.append(f"\n{t.get('status_in_pattern')}")
        if found.reply_token and found.open_minutes > 0:
            lines.append(t.get("status_unlocked", minutes=found.open_minutes))
        return lines

    def _expect(self, t: Texts, found: StatusFound) -> str:
        """When to expect an answer, from the report's earliest open deadline; nothing
        while the adviser waits for the student or the report is no longer open."""
        if found.expect_by is None or found.status not in EXPECTING_ANSWER:
            return ""
        if found.overdue:
            return t.get("status_expect_late")
        return t.get("status_expect", date=_date(found.expect_by))

    def actions(self, state: State) -> Reply:
        """The status view's buttons again, for a stale press or /help while it is open."""
        return Reply("status_actions", self.q.t(state).get("status_actions"), self.buttons(state))

    def _thread(self, t: Texts, thread: tuple[ThreadEntry, ...], room: int) -> list[str]:
        if not thread:
            return []
        head, cut = t.get("thread_head"), t.get("thread_cut")
        budget = room - len(head) - 2 - len(cut) - 2
        shown: list[str] = []
        used = 0
        for entry in reversed(sorted(thread, key=lambda e: e.on)):  # newest first
            line = self._entry(t, entry, min(ENTRY_MAX, budget - used - 2))
            if line is None:
                break
            shown.append(line)
            used += len(line) + 2
        shown.reverse()
        left_out = len(thread) > len(shown)
        return [head, *([cut] if left_out else []), *shown]

    def _entry(self, t: Texts, entry: ThreadEntry, room: int) -> str | None:
        date = _date(entry.on)
        if entry.author in ("adviser", "student"):
            key = f"thread_{entry.author}"
            # a file is named in words ("File: …"), not by an emoji alone
            named = t.get("thread_file", name=clip(entry.file, FILE_NAME_MAX)[0])
            file_line = f"{named}\n" if entry.file else ""
            overhead = len(t.get(key, date=date, text="")) + len(file_line)
            if room - overhead < ENTRY_MIN:
                return None
            text, _ = clip(entry.text, room - overhead)
            return t.get(key, date=date, text=(file_line + text).rstrip("\n"))
        event = f"event_{entry.event}"
        words = t.get(event if t.has(event) else "event_other")
        line = t.get("thread_event", date=date, text=words)
        return line if len(line) <= room else None

    # --- replying and withdrawing ------------------------------------------------------

    def code_prompt(self, state: State, key: str, **values: object) -> Reply:
        """Asking for a receipt code, with a way out (no "send /stop" to find)."""
        row = (self.q.button(state, "btn_code_cancel", "code.cancel"),)
        return Reply(key, self.q.t(state).get(key, **values), (row,))

    def reply_prompt(self, state: State) -> Reply:
        row = (self.q.button(state, "btn_reply_cancel", "reply.cancel"),)
        return Reply("ask_reply", self.q.t(state).get("ask_reply", limit=MAX_REPLY), (row,))

    def withdraw_prompt(self, state: State) -> Reply:
        rows = (
            (self.q.button(state, "btn_withdraw_yes", "withdraw.yes"),),
            (self.q.button(state, "btn_withdraw_no", "withdraw.no"),),
        )
        return Reply("withdraw_confirm", self.q.t(state).get("withdraw_confirm"), rows)

    # --- the student's evaluation ------------------------------------------------------

    def evaluation_prompt(self, state: State) -> Reply:
        """The evaluation question on screen now (also drawn again after a stale press):
        the score, what could be better, whether it may be quoted."""
        t = self.q.t(state)
        skip = (self.q.button(state, "btn_skip", "feedback.skip"),)
        if state.menu == "feedback_text":
            text = t.get("feedback_ask_text", limit=EVALUATION_MAX_TEXT)
            return Reply("feedback_ask_text", text, (skip,))
        if state.menu == "feedback_quote":
            rows = (
                (self.q.button(state, "btn_feedback_quote", "feedback.quote"),),
                (self.q.button(state, "btn_feedback_private", "feedback.private"),),
            )
            return Reply("feedback_ask_quote", t.get("feedback_ask_quote"), rows)
        scores = tuple(
            self.q.button(state, f"btn_feedback_score_{n}", f"feedback.{n}")
            for n in EVALUATION_SCORES
        )
        return Reply("feedback_ask_score", t.get("feedback_ask_score"), (scores, skip))


def _date(day: datetime.date) -> str:
    return day.strftime("%d-%m-%Y")
