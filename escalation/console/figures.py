"""The figures page (coordinators only), the yearly reflection report as a PDF and the
spreadsheet: the network coordinator sees the whole network, an organization's
coordinator their own organization. Every view and download is in the audit log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response

from escalation.casework.directory import Adviser
from escalation.console.texts import ConsoleTexts
from escalation.console.web import SignedIn, context, login_required, not_found, page
from escalation.figures import charts, export
from escalation.figures.rows import year_label, year_start
from escalation.figures.scope import SPANS, FigureService, Period
from escalation.figures.sheet import period_label, sections, summary
from escalation.figures.tables import Figures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(request: Request, me: Adviser) -> str | None:
    """None for the network's coordinator; the own organization for another
    coordinator; 404 for anyone else."""
    if me.role != "coordinator":
        raise not_found()
    org = context(request).console.directory.organization(me.org_id)
    return None if org is not None and org.kind == "network" else me.org_id


def _service(request: Request) -> FigureService:
    service = context(request).console.figures
    if service is None:
        raise not_found()
    return service


async def _load(request: Request, who: SignedIn) -> tuple[FigureService, Period, Figures]:
    scope = _scope(request, who.adviser)
    service = _service(request)
    q = request.query_params
    chosen = service.period(q.get("until"), q.get("span"))
    return service, chosen, await service.figures(chosen, scope)


def _org_names(request: Request) -> dict[str, str]:
    return {o.id: o.name for o in context(request).console.directory.organizations}


def _names(figures: Figures) -> tuple[str, str]:
    return period_label(figures.current), period_label(figures.previous)


@login_required
async def figures_page(request: Request, who: SignedIn) -> Response:
    service, chosen, figures = await _load(request, who)
    t = ConsoleTexts(who.session.lang)
    names = _org_names(request)
    parts = sections(figures, t, names)
    images = await asyncio.to_thread(charts.svgs, parts, _names(figures))
    await context(request).console.cases.reading.log(who.adviser.id, "figures", who.adviser.org_id)
    return page(
        request, "figures.html", who.session, figures=figures, sections=parts, images=images,
        summary=summary(figures, t, names), chosen=chosen, spans=SPANS,
        years=[(y, year_label(y)) for y in service.years()], period_names=_names(figures),
        scope_name=names.get(figures.scope or "", "") if figures.scope else "",
        crossing=figures.current.crossing,
    )  # fmt: skip


@login_required
async def figures_xlsx(request: Request, who: SignedIn) -> Response:
    _, chosen, figures = await _load(request, who)
    t = ConsoleTexts(who.session.lang)
    names = _org_names(request)
    data = await asyncio.to_thread(
        export.workbook, sections(figures, t, names), summary(figures, t, names), t,
        _names(figures), figures.k,
    )  # fmt: skip
    await _logged(request, who, "figures_xlsx", chosen)
    return Response(data, media_type=XLSX, headers=_attachment(chosen, "xlsx"))


@login_required
async def figures_pdf(request: Request, who: SignedIn) -> Response:
    # Imported at the first download, not at start: fpdf2 and fontTools (see pages).
    from escalation.figures import report_pdf

    _, chosen, figures = await _load(request, who)
    console = context(request).console
    t = ConsoleTexts(who.session.lang)
    names = _org_names(request)
    quotes = await _quotes(request, who, figures, chosen)
    data = await asyncio.to_thread(
        report_pdf.render, figures, sections(figures, t, names), summary(figures, t, names), t,
        made_at=console.clock(), by=who.adviser.name, scope=names.get(figures.scope or "", ""),
        quotes=quotes,
    )  # fmt: skip
    await _logged(request, who, "figures_pdf", chosen)
    return Response(data, media_type="application/pdf", headers=_attachment(chosen, "pdf"))


async def _quotes(
    request: Request, who: SignedIn, figures: Figures, chosen: Period
) -> Sequence[str] | None:
    """None: no quotes for this reader (not the network's coordinator, or no source)."""
    source = context(request).console.quotes
    if figures.scope is not None or source is None:
        return None
    start = year_start(chosen.until - chosen.span + 1)
    return await source(who.adviser.id, who.key, start, year_start(chosen.until + 1))


async def _logged(request: Request, who: SignedIn, action: str, chosen: Period) -> None:
    cases = context(request).console.cases
    first = chosen.until - chosen.span + 1
    detail = (
        year_label(first)
        if first == chosen.until
        else f"{year_label(first)}-{year_label(chosen.until)}"
    )
    await cases.reading.log(who.adviser.id, action, who.adviser.org_id, detail)


def _attachment(chosen: Period, ext: str) -> dict[str, str]:
    name = f"cijfers-{chosen.until + 1}-{chosen.span}j.{ext}"
    return {"content-disposition": f'attachment; filename="{name}"'}
