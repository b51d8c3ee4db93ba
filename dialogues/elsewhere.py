"""Where else a student can go (issue 11, item 12): a short, honest list after a report
is filed and under /help, chosen by what the student answered (level, phase, wish …)
from the routes the operator configured (`FlowContext.elsewhere`).

What each kind of place does is worded by the locale files (`elsewhere_<kind>`); its
name, phone and address come from the config, so each region sets its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from dialogues.questions import Questions
from dialogues.state import Answer, State
from dialogues.types import HelpRoute, Reply


class Elsewhere:
    def __init__(self, questions: Questions) -> None:
        self.q = questions

    def routes(self, state: State) -> tuple[HelpRoute, ...]:
        known = self._known(state.answers, self.q.school_level(state))
        return tuple(r for r in self.q.context.elsewhere if _applies(r, known))

    def reply(self, state: State) -> Reply:
        t = self.q.t(state)
        routes = self.routes(state)
        lines = [t.get("elsewhere_head")]
        if not any(r.kind == "school" for r in routes):
            lines.append(t.get("elsewhere_school_any"))
        lines += [self._line(state, r) for r in routes]
        return Reply("elsewhere", "\n".join(lines))

    def _line(self, state: State, route: HelpRoute) -> str:
        t = self.q.t(state)
        phone, web = escape(route.phone, quote=False), escape(route.web, quote=False)
        if phone and web:
            contact = t.get("elsewhere_phone_web", phone=phone, web=web)
        elif phone:
            contact = t.get("elsewhere_phone", phone=phone)
        else:
            contact = t.get("elsewhere_web", web=web)
        return t.get(
            "elsewhere_line",
            name=escape(route.name, quote=False),
            what=t.get(f"elsewhere_{route.kind}"),
            contact=contact,
        )

    @staticmethod
    def _known(answers: Mapping[str, Answer], level: str | None) -> dict[str, str]:
        known = {k: v for k, v in answers.items() if isinstance(v, str) and v}
        if level:
            known["level"] = level
        return known


def _applies(route: HelpRoute, known: Mapping[str, str]) -> bool:
    """Every known answer must be allowed; an unknown one hides only a school's route."""
    for name, allowed in route.when:
        value = known.get(name)
        if value is None:
            if name == "school":
                return False
            continue
        if value not in allowed:
            return False
    return True
