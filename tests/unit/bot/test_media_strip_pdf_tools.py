"""bot/intake/media_strip.py on PDFs as real tools write them: comment authors and dates,
/PieceInfo, a placed graphic's XMP, keys pointing at the info dictionary, scripts,
actions and embedded files are all gone, in the parsed file and in its raw and inflated
bytes, while the page still draws what it drew."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import StreamObject

from bot.intake import pdf_rebuild
from bot.intake.media_strip import Clean, Refused, strip
from tests.support.media_files import AUTHOR, PHONE
from tests.support.tool_pdfs import (
    BOX,
    DATE,
    EMBEDDED,
    LOGIN,
    PATH,
    PROGRAM,
    SCRIPT,
    TICK,
    VISIBLE,
    commented_pdf,
    drawn_text_pdf,
    indesign_pdf,
    info_linked_pdf,
    nested_forms_pdf,
    photo_pattern_pdf,
    scripted_pdf,
    traces,
)

MAKER = (AUTHOR, LOGIN, DATE, PATH)
ACTIONS = (SCRIPT, PROGRAM, "/JavaScript", "/JS", "/Launch", "/OpenAction", "/AA")


def at(start: object, *keys: str) -> Any:
    """What lies under `keys`, each step resolved (pypdf types every value as PdfObject)."""
    found: Any = start
    for key in keys:
        found = found[key].get_object()
    return found


def rebuilt(original: bytes, planted: tuple[str, ...]) -> bytes:
    for trace in planted:  # the test file really carries each of them
        assert trace.encode() in traces(original), trace
    result = strip(original)
    assert isinstance(result, Clean), result
    found = traces(result.data)
    for trace in planted:
        assert trace.encode() not in found, trace
    return result.data


def test_a_generated_pdf_keeps_its_text_and_font_but_not_its_author_or_date() -> None:
    clean = rebuilt(drawn_text_pdf(), (AUTHOR,))
    reader = PdfReader(io.BytesIO(clean))
    assert VISIBLE in reader.pages[0].extract_text()
    assert b"/CreationDate" not in traces(clean) and reader.metadata is None


def test_what_pages_share_is_copied_once() -> None:
    original = drawn_text_pdf(pages=3)
    clean = strip_to_pdf(original)
    reader = PdfReader(io.BytesIO(clean))
    fonts = {
        at(page, "/Resources", "/Font").raw_get(name).idnum
        for page in reader.pages
        for name in at(page, "/Resources", "/Font")
    }
    assert len(reader.pages) == 3 and len(fonts) == 1
    assert len(clean) < len(original) * 1.2


def test_comments_and_their_authors_and_dates_are_dropped() -> None:
    clean = rebuilt(commented_pdf(), (*MAKER[:3], SCRIPT, "/URI"))
    for key in (b"/Annots", b"/Annot", b"/T ", b"/M ", b"/Popup", b"/NM"):
        assert key not in traces(clean), key
    assert len(PdfReader(io.BytesIO(clean)).pages) == 1


def test_how_a_shown_annotation_looks_is_painted_into_the_page() -> None:
    page = PdfReader(io.BytesIO(strip_to_pdf(commented_pdf()))).pages[0]
    content = page.get_contents().get_data()  # type: ignore[union-attr]
    painted = {
        name: xobject.get_object().get_data()
        for name, xobject in at(page, "/Resources", "/XObject").items()
    }
    assert sorted(painted.values()) == sorted([BOX, TICK])  # not the hidden one or "Off"
    box = next(name for name, data in painted.items() if data == BOX)
    assert f"1.0000 0.0000 0.0000 1.0000 100.0000 100.0000 cm {box} Do".encode() in content
    assert content.startswith(b"q\n")  # the page's own drawing cannot change the boxes'


def strip_to_pdf(original: bytes) -> bytes:
    result = strip(original)
    assert isinstance(result, Clean), result
    return result.data


def test_indesign_piece_info_and_a_placed_graphics_xmp_are_dropped() -> None:
    clean = rebuilt(indesign_pdf(), MAKER)
    found = traces(clean)
    for key in (b"/PieceInfo", b"/LastModified", b"/Metadata", b"xmpmeta", b"Illustrator"):
        assert key not in found, key
    page = PdfReader(io.BytesIO(clean)).pages[0]
    graphic = at(page, "/Resources", "/XObject", "/Fm0")
    assert isinstance(graphic, StreamObject)  # the graphic itself is still drawn
    assert at(graphic, "/Subtype") == "/Form" and graphic.get_data() == b"0 0 1 rg 0 0 50 50 re f"
    assert at(graphic, "/Resources", "/ColorSpace", "/CS0") == "/DeviceRGB"  # no ICC profile
    assert b"/Fm0 Do" in page.get_contents().get_data()  # type: ignore[union-attr]


def test_a_page_key_pointing_at_the_info_dictionary_carries_nothing_over() -> None:
    clean = rebuilt(info_linked_pdf(), (AUTHOR, DATE, PATH))
    found = traces(clean)
    for key in (b"/Author", b"/Title", b"/CreationDate", b"/Info", b"/SeparationInfo"):
        assert key not in found, key


def test_no_script_action_launch_embedded_file_or_form_survives() -> None:
    original = scripted_pdf()
    assert EMBEDDED in traces(original)
    clean = rebuilt(original, ACTIONS)
    found = traces(clean)
    assert EMBEDDED not in found and b"bron.docx" not in found
    for key in (b"/Names", b"/EmbeddedFiles", b"/AcroForm", b"/XFA", b"/Annots"):
        assert key not in found, key
    reader = PdfReader(io.BytesIO(clean))
    assert set(at(reader.trailer, "/Root")) == {"/Type", "/Pages"}
    assert "/Info" not in reader.trailer


def test_a_photo_that_keeps_its_gps_deeper_in_the_file_is_refused() -> None:
    original = photo_pattern_pdf()
    assert PHONE.encode() in original
    assert strip(original) == Refused("attachment_unreadable")


def test_a_cycle_of_placed_forms_is_copied_once_and_still_draws() -> None:
    clean = strip(nested_forms_pdf(depth=5))
    assert isinstance(clean, Clean)
    form = at(PdfReader(io.BytesIO(clean.data)).pages[0], "/Resources", "/XObject", "/Fm")
    for _ in range(6):  # round the cycle and back to the first form
        form = at(form, "/Resources", "/XObject", "/Fm")
    assert at(form, "/BBox") == [0, 0, 10, 10]


def test_a_graph_deeper_than_a_document_is_refused() -> None:
    assert strip(nested_forms_pdf(depth=100)) == Refused("attachment_unreadable")


def test_a_graph_larger_than_a_document_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_rebuild, "MAX_NODES", 20)
    assert strip(drawn_text_pdf()) == Refused("attachment_unreadable")
