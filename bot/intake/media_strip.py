"""A student's photo or PDF, rebuilt without what it says about its maker, before sealing.

A phone photo carries where it was taken (EXIF GPS), the phone's make and serial, the
time; a PDF names its author, the program and often the user account (its info
dictionary and XMP). An adviser needs none of that, and a seized disk or a curious
reader must not learn it. So every channel hands the bytes here first:

- JPEG and PNG are decoded and only the pixels are written again (orientation applied
  first, so the photo stays upright): no EXIF, GPS, XMP, ICC profile or comment survives.
- PDF pages are rebuilt into a new document by a whitelist (`pdf_rebuild`): only what
  draws the page is copied, so no info dictionary (author, creator, producer), XMP,
  comments with their authors and dates, /PieceInfo, scripts, actions or embedded
  files, nothing of the old catalog; a JPEG inside it (a photo "scanned to PDF") is
  re-encoded to its pixels as well, and a file in which a photo still carries EXIF,
  XMP or IPTC after that (one used as a pattern fill, say) is refused.

Anything else, or a file that does not parse, is refused with a message key: it is
never stored as it came. Pure functions, no I/O; the callers decide what to say.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

# Pillow, pypdf and the PDF rebuild are imported where a file is rebuilt, not at start:
# memory an idle service would otherwise hold for the few reports that come with a file.
if TYPE_CHECKING:
    from PIL import Image
    from pypdf import PageObject, PdfWriter

log = logging.getLogger(__name__)

Kind = Literal["jpeg", "png", "pdf"]
KINDS: Final[tuple[Kind, ...]] = ("jpeg", "png", "pdf")
MIME: Final[dict[Kind, str]] = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
NAMES: Final[dict[Kind, str]] = {"jpeg": "foto.jpg", "png": "afbeelding.png", "pdf": "document.pdf"}
MAX_PIXELS: Final = 40_000_000  # a 40-megapixel photo; beyond it a file is a pixel bomb
MAX_PAGES: Final = 500
# How EXIF, XMP and IPTC blocks begin inside a JPEG or JPEG 2000 stream.
PHOTO_METADATA: Final = (
    b"Exif\x00\x00",
    b"http://ns.adobe.com/xap/1.0/",
    b"<x:xmpmeta",
    b"Photoshop 3.0\x00",
    b"JpgTiffExif->JP2",
)


@dataclass(frozen=True)
class Clean:
    data: bytes
    kind: Kind

    @property
    def mime(self) -> str:
        return MIME[self.kind]


@dataclass(frozen=True)
class Refused:
    key: str  # a locale key: "attachment_wrong_type" or "attachment_unreadable"


def sniff(data: bytes) -> Kind | None:
    """What a file is by its first bytes (never by its name or the browser's word)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    return None


def strip(data: bytes, allowed: tuple[str, ...] = KINDS) -> Clean | Refused:
    kind = sniff(data)
    if kind is None or kind not in allowed:
        return Refused("attachment_wrong_type")
    from PIL import Image
    from pypdf.errors import PyPdfError

    try:
        cleaned = _pdf(data) if kind == "pdf" else _image(data, kind)
    except (OSError, ValueError, SyntaxError, PyPdfError, Image.DecompressionBombError):
        log.info("a %s attachment could not be read and was refused", kind)
        return Refused("attachment_unreadable")
    return Clean(cleaned, kind)


def _image(data: bytes, kind: Kind) -> bytes:
    """Pixels only: a fresh image gets the decoded pixels and nothing of `info`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise ValueError("too many pixels")
                upright = ImageOps.exif_transpose(opened)
                pixels = _mode_for(upright, kind)
        except (UnidentifiedImageError, Image.DecompressionBombWarning) as e:
            raise ValueError(str(e)) from e
    fresh = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if kind == "jpeg":
        fresh.save(out, "JPEG", quality=90, optimize=True)
    else:
        fresh.save(out, "PNG", optimize=True)
    return out.getvalue()


def _mode_for(image: Image.Image, kind: Kind) -> Image.Image:
    """A mode whose raw bytes need nothing else (no palette) to mean the same picture."""
    keep = ("L", "RGB", "CMYK") if kind == "jpeg" else ("1", "L", "LA", "RGB", "RGBA")
    if image.mode in keep:
        image.load()
        return image
    transparent = kind == "png" and (
        image.mode in ("PA", "La") or "A" in image.getbands() or "transparency" in image.info
    )
    return image.convert("RGBA" if transparent else "RGB")


def _pdf(data: bytes) -> bytes:
    """The pages alone, rebuilt by a whitelist in a new document: the old catalog (XMP,
    outlines, scripts, embedded files, forms) and info dictionary are not carried over."""
    from pypdf import PdfReader, PdfWriter

    from bot.intake.pdf_rebuild import copy_pages

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("encrypted with a password")
    if not 0 < len(reader.pages) <= MAX_PAGES:
        raise ValueError("no pages or too many")
    writer = PdfWriter()
    for page in copy_pages(writer, reader.pages):
        _page_images(page)
    _no_photo_metadata_left(writer)
    writer.metadata = None
    writer.xmp_metadata = None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_images(page: PageObject) -> None:
    """A photo inside a PDF ("scan to PDF") keeps its JPEG's EXIF and GPS: each JPEG
    image is re-encoded to its pixels, and any image's own XMP is dropped."""
    from pypdf.errors import PyPdfError
    from pypdf.generic import DictionaryObject, NameObject

    try:
        for image in page.images:
            if image.indirect_reference is None:
                continue  # inline images: a few bytes of raw pixels, no room for EXIF
            stream = image.indirect_reference.get_object()
            if not isinstance(stream, DictionaryObject):
                continue
            stream.pop(NameObject("/Metadata"), None)
            if not _compressed_photo(stream.get("/Filter")):
                continue
            mask = stream.get("/SMask")
            image.replace(_pixels_of(image.image), quality=90)
            fresh = image.indirect_reference.get_object()
            if mask is not None and isinstance(fresh, DictionaryObject):
                fresh[NameObject("/SMask")] = mask
    except (ValueError, OSError, PyPdfError):
        raise
    except Exception as e:  # pypdf's image decoding raises many kinds; refuse, never keep
        raise ValueError(f"embedded image: {type(e).__name__}") from e


def _no_photo_metadata_left(writer: PdfWriter) -> None:
    """A photo reached other than as a page's image (a pattern fill, a soft mask, a
    glyph) is not re-encoded: if one still carries EXIF, XMP or IPTC, the file is
    refused rather than stored with it."""
    from pypdf.generic import StreamObject

    for obj in writer._objects:
        if isinstance(obj, StreamObject) and _compressed_photo(obj.get("/Filter")):
            data = obj.get_data()
            if any(marker in data for marker in PHOTO_METADATA):
                raise ValueError("a photo whose metadata could not be removed")


def _compressed_photo(filters: object) -> bool:
    """JPEG and JPEG 2000 streams keep the camera's own metadata inside them."""
    names = filters if isinstance(filters, list) else [filters]
    return bool({"/DCTDecode", "/JPXDecode"} & {str(n) for n in names})


def _pixels_of(image: Image.Image | None) -> Image.Image:
    from PIL import Image

    if image is None:
        raise ValueError("an embedded photo that cannot be decoded")
    if image.mode not in ("L", "RGB", "CMYK"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())
