"""bot/intake/media_strip.py: what a photo or PDF says about its maker is gone before sealing;
anything that is not a readable JPEG, PNG or PDF is refused, never passed on raw."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.intake.media_strip import Clean, Refused, sniff, strip
from tests.support.media_files import (
    AUTHOR,
    COMMENT,
    PHONE,
    authored_pdf,
    gps_of,
    gps_photo,
    pdf_with_photo,
    png_with_text,
)


def cleaned(data: bytes) -> Clean:
    result = strip(data)
    assert isinstance(result, Clean), result
    return result


def test_a_photo_with_gps_coordinates_arrives_without_them() -> None:
    photo = gps_photo()
    assert gps_of(photo)  # the test photo really carries them
    clean = cleaned(photo)
    assert clean.kind == "jpeg" and clean.mime == "image/jpeg"
    assert gps_of(clean.data) == {}
    with Image.open(io.BytesIO(clean.data)) as image:
        assert dict(image.getexif()) == {}
        assert "comment" not in image.info and "icc_profile" not in image.info
    for trace in (PHONE.encode(), COMMENT, b"Exif"):
        assert trace not in clean.data


def test_the_orientation_is_applied_to_the_pixels_so_the_photo_stays_upright() -> None:
    clean = cleaned(gps_photo(orientation=6))  # "turn 90°": 40×20 is shown as 20×40
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size == (20, 40)
    with Image.open(io.BytesIO(cleaned(gps_photo(orientation=1)).data)) as image:
        assert image.size == (40, 20)


def test_a_png_loses_its_text_chunks_and_keeps_its_transparency() -> None:
    clean = cleaned(png_with_text())
    assert clean.kind == "png"
    assert AUTHOR.encode() not in clean.data and b"xmp" not in clean.data.lower()
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0)) == (0, 0, 255, 128)


def test_a_pdf_loses_author_creator_producer_and_xmp() -> None:
    original = authored_pdf()
    assert AUTHOR.encode() in original
    clean = cleaned(original)
    assert clean.kind == "pdf" and clean.mime == "application/pdf"
    assert AUTHOR.encode() not in clean.data  # not even in an unreferenced object
    reader = PdfReader(io.BytesIO(clean.data))
    assert len(reader.pages) == 1
    info = reader.metadata or {}  # type: ignore[var-annotated]
    assert not {"/Author", "/Creator", "/Producer"} & set(info)
    assert reader.xmp_metadata is None


def test_a_photo_inside_a_pdf_loses_its_gps_too() -> None:
    original = pdf_with_photo()
    assert PHONE.encode() in original  # the phone's EXIF is inside the PDF
    clean = cleaned(original)
    assert PHONE.encode() not in clean.data and b"Exif" not in clean.data
    (image,) = PdfReader(io.BytesIO(clean.data)).pages[0].images
    assert image.image is not None and image.image.size == (40, 20)
    assert gps_of(image.data) == {}


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0 not really a jpeg",
        b"\x89PNG\r\n\x1a\n broken",
        b"%PDF-1.7\n garbage without objects",
        gps_photo()[:200],  # cut off mid-way
    ],
    ids=["jpeg", "png", "pdf", "truncated jpeg"],
)
def test_a_file_that_does_not_parse_is_refused_not_stored_raw(data: bytes) -> None:
    assert strip(data) == Refused("attachment_unreadable")


@pytest.mark.parametrize(
    "data",
    [b"GIF89a....", b"PK\x03\x04 a docx", b"", b"hello"],
    ids=["gif", "zip", "empty", "text"],
)
def test_other_kinds_of_file_are_refused_by_their_bytes(data: bytes) -> None:
    assert sniff(data) is None
    assert strip(data) == Refused("attachment_wrong_type")


def test_a_kind_left_out_of_the_allowed_list_is_refused() -> None:
    assert strip(authored_pdf(), allowed=("jpeg", "png")) == Refused("attachment_wrong_type")


def test_a_pixel_bomb_is_refused_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")  # 50 megapixels, a few kB
    assert strip(out.getvalue()) == Refused("attachment_unreadable")
