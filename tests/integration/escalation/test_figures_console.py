"""The coordinators' figures page, its PDF and spreadsheet, and the public page: who
may see what, the audit log, and that all four show the same cells."""

from __future__ import annotations

import html
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select
from starlette.routing import Mount

from bot.app.container import Container, build_container
from bot.app.routes import web_routes
from bot.app.settings import load_settings
from bot.channels.http.headers import CSP
from bot.channels.http.server import make_app
from escalation.console import console_app
from escalation.console.public_figures import public_routes
from escalation.console.texts import ConsoleTexts
from escalation.figures.rows import last_completed_year
from escalation.figures.scope import FigureService, Period
from escalation.figures.sheet import sections, summary
from storage.db.models import AuditEntry
from tests.conftest import base_config, save_config
from tests.support.console_client import ConsoleWorld, make_world
from tests.support.figures_helpers import insert_rows, random_rows

ROW = re.compile(
    r'<tr data-key="([^"]+)"><th scope="row">(.*?)</th><td class="num" data-cell="current">(.*?)'
    r'</td><td class="num" data-cell="previous">(.*?)</td></tr>'
)
TABLE = re.compile(r'<table class="figures" id="table-([a-z_]+)">(.*?)</table>', re.S)


@pytest.fixture
async def container(tmp_path: Path) -> AsyncIterator[Container]:
    data = base_config(tmp_path)
    hhs = next(o for o in data["organizations"] if o["id"] == "hhs")
    hhs["students"] = 12000
    hhs["advisers"].append(
        {"id": "hhs-coord", "name": "Coördinator HHS", "email": "coord@hhs.example.nl",
         "role": "coordinator"}
    )  # fmt: skip
    path = tmp_path / "config.yaml"
    save_config(path, data)
    container = await build_container(load_settings(path))
    try:
        yield container
    finally:
        await container.close()


@pytest.fixture
async def world(container: Container) -> ConsoleWorld:
    world = make_world(container)
    world.console.figures = FigureService(
        container.sessions, container.directory, min_cell=5, clock=world.clock
    )
    last = last_completed_year(world.clock())
    rows = random_rows(11, 320, last - 3, 4)
    await insert_rows(container.sessions, rows, container.keys.server)
    return world


def page_cells(text: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    """(table, key) -> (label, current, previous) as the page shows them."""
    out = {}
    for name, body in TABLE.findall(text):
        for key, label, now, before in ROW.findall(body):
            out[(name, key)] = tuple(html.unescape(v) for v in (label, now, before))
    return out  # type: ignore[return-value]


def expected(world: ConsoleWorld, figures) -> dict[tuple[str, str], tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    names = {o.id: o.name for o in world.container.directory.organizations}
    out = {}
    for s in sections(figures, ConsoleTexts("nl"), names):
        for line in (*s.lines, s.total):
            out[(s.dimension, line.key)] = (line.label, line.current, line.previous)
    return out


async def _audit_actions(world: ConsoleWorld) -> list[tuple[str, str]]:
    async with world.container.sessions() as session:
        rows = await session.execute(select(AuditEntry.actor, AuditEntry.action))
        return [(a, b) for a, b in rows.all()]


async def test_page_spreadsheet_and_pdf_agree_cell_by_cell(world: ConsoleWorld) -> None:
    coordinator = await world.enrol("denhaag-coordinator")
    service = world.console.figures
    assert service is not None
    figures = await service.figures(service.period(None, None))
    want = expected(world, figures)
    assert any(v[1].startswith("< ") for v in want.values()), "the data has hidden cells"
    async with world.client() as client:
        await world.login(client, coordinator)
        page = await client.get("/console/figures")
        assert page.status_code == 200
        shown = page_cells(page.text)
        assert shown == want
        assert (
            'src="data:image/svg+xml;base64,' in page.text
            and "<script" not in page.text.split("</head>")[1]
        )
        sheet = await client.get("/console/figures/tables.xlsx")
        pdf = await client.get("/console/figures/report.pdf")
    assert sheet.status_code == 200 and pdf.status_code == 200
    _check_workbook(sheet.content, figures, world)
    _check_pdf(pdf.content, want)
    # The follow-up lines (medians, shares on time) agree too.
    names = {o.id: o.name for o in world.container.directory.organizations}
    follow = [(x.label, x.current, x.previous) for x in summary(figures, ConsoleTexts("nl"), names)]
    body = re.search(r'id="table-follow-up">(.*?)</table>', page.text, re.S)
    assert body is not None
    cells = re.findall(
        r'<tr><th scope="row">(.*?)</th><td class="num">(.*?)</td><td class="num">(.*?)</td>',
        body.group(1),
    )
    assert [tuple(html.unescape(v) for v in c) for c in cells] == follow
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    assert [tuple(r) for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)] == follow
    _check_pdf(pdf.content, {("follow", str(i)): line for i, line in enumerate(follow)})
    actions = await _audit_actions(world)
    for action in ("figures", "figures_xlsx", "figures_pdf"):
        assert ("denhaag-coordinator", action) in actions


def _check_workbook(data: bytes, figures, world: ConsoleWorld) -> None:  # type: ignore[no-untyped-def]
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    values = [tuple(c.value for c in row) for row in ws.iter_rows()]
    names = {o.id: o.name for o in world.container.directory.organizations}
    for s in sections(figures, ConsoleTexts("nl"), names):
        start = values.index((s.title, *(_period(figures))))
        for offset, line in enumerate((*s.lines, s.total), start=1):
            label, now, before = values[start + offset]
            assert label == line.label
            # Shown counts are real numbers; hidden ones the text "< 5" or "×".
            assert now == (line.current_n if line.current_n is not None else line.current)
            assert before == (line.previous_n if line.previous_n is not None else line.previous)
            if line.current_n is not None:
                assert isinstance(now, int)


def _period(figures) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from escalation.figures.sheet import period_label

    return period_label(figures.current), period_label(figures.previous)


def _check_pdf(data: bytes, want: dict[tuple[str, str], tuple[str, str, str]]) -> None:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    flat = " ".join(text.split())
    for label, now, before in want.values():
        line = " ".join(f"{label} {now} {before}".split())
        assert line in flat, line


async def test_an_organization_coordinator_sees_only_their_organization(
    world: ConsoleWorld,
) -> None:
    coordinator = await world.enrol("hhs-coord")
    adviser = await world.enrol("hhs-vp")
    service = world.console.figures
    assert service is not None
    mine = await service.figures(service.period(None, None), "hhs")
    async with world.client() as client:
        await world.login(client, coordinator)
        shown = page_cells((await client.get("/console/figures")).text)
    assert shown == expected(world, mine)
    assert not any(name == "organization" for name, _ in shown)
    assert shown[("phase", "total")][1] == str(mine.current.tables["phase"].total.count) or (
        mine.current.tables["phase"].total.hidden
    )
    world.step()
    async with world.client() as client:
        await world.login(client, adviser)
        for path in (
            "/console/figures",
            "/console/figures/report.pdf",
            "/console/figures/tables.xlsx",
        ):
            assert (await client.get(path)).status_code == 404


async def test_the_period_is_chosen_from_completed_school_years_only(world: ConsoleWorld) -> None:
    service = world.console.figures
    assert service is not None
    last = last_completed_year(world.clock())
    assert service.period(None, None) == Period(last, 2)
    assert service.period(str(last + 1), "2") == Period(last, 2)  # not ended yet: default
    assert service.period(str(last - 1), "1") == Period(last - 1, 1)
    assert service.period("x", "7") == Period(last, 2)


async def test_the_public_page_shows_the_console_s_cells_behind_the_chat_s_headers(
    world: ConsoleWorld,
) -> None:
    service = world.console.figures
    assert service is not None
    app = make_app(
        [Mount("/console", app=console_app(world.console)),
         *public_routes(service, world.container.directory, "/console")]
    )  # fmt: skip
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        nl = await client.get("/cijfers")
        en = await client.get("/cijfers?lang=en")
    assert nl.status_code == 200 and en.status_code == 200
    assert nl.headers["content-security-policy"] == CSP
    assert "<script" not in nl.text
    yearly = await service.figures(service.period(None, "1"))
    want = expected(world, yearly)
    shown = page_cells(nl.text)
    assert shown and all(want[key] == value for key, value in shown.items())
    assert ("organization", "hhs") not in shown
    assert "Figures on internship discrimination" in en.text


async def test_the_public_page_is_off_unless_configured(container: Container) -> None:
    import httpx

    app = make_app(web_routes(container))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        assert (await client.get("/cijfers")).status_code == 404


async def test_the_reflection_report_quotes_what_the_quote_source_gives(
    world: ConsoleWorld,
) -> None:
    """The quotes come from an injected source (storage/repositories/evaluations.py's
    quotable evaluations, wired by the service); only the network's coordinator gets them."""
    asked: list[tuple[str, object, object]] = []

    async def quotes(adviser_id, key, start, end):  # type: ignore[no-untyped-def]
        asked.append((adviser_id, start, end))
        return ["Eindelijk luisterde iemand naar mij."]

    world.console.quotes = quotes
    network = await world.enrol("denhaag-coordinator")
    school = await world.enrol("hhs-coord")
    async with world.client() as client:
        await world.login(client, network)
        text = _pdf_text((await client.get("/console/figures/report.pdf?span=1")).content)
    assert "Eindelijk luisterde iemand naar mij." in text
    last = last_completed_year(world.clock())
    assert asked and asked[0][0] == "denhaag-coordinator"
    assert asked[0][1].year == last and asked[0][2].year == last + 1  # type: ignore[attr-defined]  # the one school year
    world.step()
    async with world.client() as client:
        await world.login(client, school)
        text = _pdf_text((await client.get("/console/figures/report.pdf")).content)
    assert "Eindelijk" not in text and "netwerkcoördinator" in text
    assert len(asked) == 1


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)
