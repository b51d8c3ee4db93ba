"""The public page /cijfers (off unless `statistics.public: true`): the network's
suppressed figures of the last completed school year beside the year before, in Dutch
and English, server-rendered, behind the same security headers as the web chat. Only
the network's scope and a subset of tables; every cell is the console's cell."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from escalation.casework.directory import Directory
from escalation.console.texts import LANGUAGES, ConsoleTexts
from escalation.figures import charts
from escalation.figures.scope import FigureService, Period
from escalation.figures.sheet import period_label, sections

HERE = Path(__file__).resolve().parent
PUBLIC_DIMENSIONS = (
    "phase", "grounds", "level", "sector", "wants", "urgent", "status", "handed_over",
    "acknowledge_timeliness", "feedback_timeliness",
)  # fmt: skip


def public_period(service: FigureService, year: str | None) -> Period:
    """One school year (a chosen completed one, else the newest) beside the year before."""
    return service.period(year, "1")


def public_routes(service: FigureService, directory: Directory, console_root: str) -> list[Route]:
    templates = Jinja2Templates(directory=HERE / "templates")

    async def cijfers(request: Request) -> Response:
        lang = request.query_params.get("lang", "nl")
        t = ConsoleTexts(lang if lang in LANGUAGES else "nl")
        chosen = public_period(service, request.query_params.get("year"))
        figures = await service.figures(chosen)
        names = {o.id: o.name for o in directory.organizations}
        parts = [s for s in sections(figures, t, names) if s.dimension in PUBLIC_DIMENSIONS]
        periods = (period_label(figures.current), period_label(figures.previous))
        images = await asyncio.to_thread(charts.svgs, parts, periods)
        return templates.TemplateResponse(
            request, "public_figures.html",
            {"t": t, "lang": t.lang, "other_lang": "en" if t.lang == "nl" else "nl",
             "sections": parts, "images": images, "period_names": periods, "figures": figures,
             "static": f"{console_root}/static", "year": chosen.until},
        )  # fmt: skip

    return [Route("/cijfers", cijfers)]
