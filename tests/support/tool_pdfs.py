"""PDFs made the way real tools write them, each hiding its maker somewhere other than
the info dictionary: Acrobat and Preview comments (/T, /M, /CreationDate), InDesign and
Illustrator /PieceInfo with file paths and a placed graphic's own XMP, a page key that
points at the info dictionary, and a document that runs a script, launches a program or
carries an embedded file. `traces` reads every byte a reader could see, streams inflated."""

from __future__ import annotations

import io
import re
import zlib

from fpdf import FPDF
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from escalation.console.pdf import unicode_font
from tests.support.media_files import AUTHOR, gps_photo

LOGIN = "fjansen"  # Acrobat signs comments with the account name, Preview with the full name
DATE = "20261201093000"
PDF_DATE = f"D:{DATE}+01'00'"
PATH = "/Users/fjansen/Documents/Klacht/melding.indd"
SCRIPT = "tracker.example"
PROGRAM = "calc.exe"
EMBEDDED = b"Bron: " + AUTHOR.encode() + b", eigen aantekeningen"
VISIBLE = "Verslag van de les"
XMP_OF_GRAPHIC = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description'
    f' xmp:CreatorTool="Adobe Illustrator" dc:creator="{AUTHOR}"'
    f' stRef:filePath="{PATH}" xmp:CreateDate="{DATE}"/></rdf:RDF></x:xmpmeta>'
)


def traces(pdf: bytes) -> bytes:
    """The file's bytes and every stream in it inflated, its literal strings unescaped
    and its hex strings decoded: what a curious reader finds."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            continue
    joined = b"\n".join(parts)
    unescaped = re.sub(rb"\\([0-7]{1,3}|.)", _unescape, joined, flags=re.DOTALL)
    hexes = [_unhex(m.group(1)) for m in re.finditer(rb"<([0-9A-Fa-f\s]+)>", joined)]
    return b"\n".join([joined, unescaped, *hexes])


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    return bytes([int(code, 8) & 0xFF]) if code[:1].isdigit() else code


def _unhex(digits: bytes) -> bytes:
    compact = b"".join(digits.split())
    raw = bytes.fromhex((compact + b"0"[: len(compact) % 2]).decode())
    return raw[2:].decode("utf-16-be", "replace").encode() if raw[:2] == b"\xfe\xff" else raw


def _name(text: str) -> NameObject:
    return NameObject(text)


def _dict(**entries: PdfObject) -> DictionaryObject:
    return DictionaryObject({_name("/" + key): value for key, value in entries.items()})


def _text(text: str) -> TextStringObject:
    return TextStringObject(text)


def _stream(writer: PdfWriter, data: bytes, **entries: PdfObject) -> IndirectObject:
    stream = StreamObject()
    stream.set_data(data)
    stream.update(_dict(**entries))
    return writer._add_object(stream)


def _rect(*numbers: float) -> ArrayObject:
    return ArrayObject(FloatObject(n) for n in numbers)


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def drawn_text_pdf(pages: int = 1) -> bytes:
    """Pages of text in an embedded TrueType font (the way fpdf2 and most generators
    embed one: CID font, descriptor, font file, ToUnicode), with a creation date."""
    document = FPDF()
    document.set_author(AUTHOR)
    font = unicode_font()
    if font is not None:
        document.add_font("Doc", fname=str(font[0]))
    for _ in range(pages):
        document.add_page()
        document.set_font("Helvetica" if font is None else "Doc", size=14)
        document.cell(text=VISIBLE)
    return bytes(document.output())


BOX = b"0 0 0 rg 0 0 50 20 re f"  # a black box drawn over a name, as students "redact"
TICK = b"0 0 1 rg 0 0 10 10 re f"
UNSEEN = b"1 0 0 rg 0 0 5 5 re f"


def _appearance(writer: PdfWriter, drawing: bytes, *box: float) -> IndirectObject:
    return _stream(
        writer, drawing, Type=_name("/XObject"), Subtype=_name("/Form"), BBox=_rect(*box)
    )


def _shapes(writer: PdfWriter) -> list[DictionaryObject]:
    """Preview's box, a ticked check box and a hidden shape, each with an appearance."""
    box = _dict(
        Type=_name("/Annot"),
        Subtype=_name("/Square"),
        Rect=_rect(100, 100, 150, 120),
        T=_text(AUTHOR),
        M=_text(PDF_DATE),
        AP=_dict(N=_appearance(writer, BOX, 0, 0, 50, 20)),
    )
    states = _dict(Yes=_appearance(writer, TICK, 0, 0, 10, 10))
    states[_name("/Off")] = _appearance(writer, UNSEEN, 0, 0, 10, 10)
    tick = _dict(
        Type=_name("/Annot"),
        Subtype=_name("/Widget"),
        Rect=_rect(20, 180, 40, 200),
        AS=_name("/Yes"),
        AP=_dict(N=states),
    )
    hidden = _dict(
        Type=_name("/Annot"),
        Subtype=_name("/Square"),
        Rect=_rect(0, 0, 5, 5),
        F=NumberObject(2),
        AP=_dict(N=_appearance(writer, UNSEEN, 0, 0, 5, 5)),
    )
    return [box, tick, hidden]


def commented_pdf() -> bytes:
    """A page with comments as Acrobat and Preview write them: a note and a highlight
    signed with the user's name and dated, a popup, a link, and shapes that show."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    popup = writer._add_object(_dict(Type=_name("/Annot"), Subtype=_name("/Popup")))
    note = _dict(
        Type=_name("/Annot"),
        Subtype=_name("/Text"),
        Rect=_rect(10, 10, 30, 30),
        Contents=_text("Hier zegt hij het"),
        T=_text(AUTHOR),
        M=_text(PDF_DATE),
        CreationDate=_text(PDF_DATE),
        Popup=popup,
        NM=_text(f"{LOGIN}-note-1"),
    )
    highlight = _dict(
        Type=_name("/Annot"),
        Subtype=_name("/Highlight"),
        Rect=_rect(40, 40, 90, 50),
        QuadPoints=_rect(40, 50, 90, 50, 40, 40, 90, 40),
        T=_text(LOGIN),
        M=_text(PDF_DATE),
    )
    link = _dict(
        Type=_name("/Annot"),
        Subtype=_name("/Link"),
        Rect=_rect(0, 0, 200, 10),
        A=_dict(S=_name("/URI"), URI=_text(f"https://{SCRIPT}/{LOGIN}")),
    )
    annotations = [note, highlight, link, *_shapes(writer)]
    page[_name("/Annots")] = ArrayObject(writer._add_object(a) for a in annotations)
    return _written(writer)


def indesign_pdf() -> bytes:
    """A page as InDesign exports it: its own /PieceInfo (document id, file path, date)
    and an Illustrator graphic placed as a form XObject that keeps its XMP, private data
    and an ICC profile from the user's own screen calibration."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    private = _stream(writer, f"%%Creator: Adobe Illustrator\n%%For: ({LOGIN})\n".encode())
    profile = _stream(writer, f"desc Kalibratie {LOGIN} {DATE}".encode(), N=NumberObject(3))
    graphic = _stream(
        writer,
        b"0 0 1 rg 0 0 50 50 re f",
        Type=_name("/XObject"),
        Subtype=_name("/Form"),
        BBox=_rect(0, 0, 50, 50),
        Resources=_dict(ColorSpace=_dict(CS0=ArrayObject([_name("/ICCBased"), profile]))),
        Metadata=_stream(
            writer, XMP_OF_GRAPHIC.encode(), Type=_name("/Metadata"), Subtype=_name("/XML")
        ),
        PieceInfo=_dict(Illustrator=_dict(LastModified=_text(PDF_DATE), Private=private)),
        LastModified=_text(PDF_DATE),
    )
    page[_name("/PieceInfo")] = _dict(
        InDesign=_dict(
            DocumentID=_text(f"xmp.did:{LOGIN}"),
            LastModified=_text(PDF_DATE),
            Private=_dict(FilePath=_text(PATH)),
        )
    )
    page[_name("/LastModified")] = _text(PDF_DATE)
    page[_name("/Resources")] = _dict(XObject=_dict(Fm0=graphic))
    page[_name("/Contents")] = _stream(writer, b"q 2 0 0 2 10 10 cm /Fm0 Do Q")
    return _written(writer)


def info_linked_pdf() -> bytes:
    """A page whose own keys, and a resource, point at the info dictionary."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": AUTHOR, "/CreationDate": PDF_DATE, "/Title": PATH})
    info = writer._info
    assert info is not None and info.indirect_reference is not None
    page[_name("/Info")] = info.indirect_reference
    page[_name("/SeparationInfo")] = _dict(Pages=ArrayObject([info.indirect_reference]))
    page[_name("/Resources")] = _dict(
        Font=_dict(F1=info.indirect_reference), Properties=_dict(MC0=info.indirect_reference)
    )
    return _written(writer)


def scripted_pdf() -> bytes:
    """A document that acts: a script on opening, document and page actions that launch
    a program, a named script, an embedded file and a form, and a link running script."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    script = f"this.submitForm('https://{SCRIPT}/open');"
    writer._root_object[_name("/OpenAction")] = _dict(S=_name("/JavaScript"), JS=_text(script))
    launch = _dict(S=_name("/Launch"), F=_text(PROGRAM))
    writer._root_object[_name("/AA")] = _dict(WC=launch)
    writer.add_attachment("bron.docx", EMBEDDED)  # makes /Names with /EmbeddedFiles
    named = _dict(S=_name("/JavaScript"), JS=_text(f"app.launchURL('https://{SCRIPT}/n');"))
    names = writer._root_object["/Names"].get_object()
    assert isinstance(names, DictionaryObject)
    names[_name("/JavaScript")] = _dict(Names=ArrayObject([_text("open"), named]))
    writer._root_object[_name("/AcroForm")] = _dict(
        Fields=ArrayObject(), XFA=_stream(writer, f"<xdp>{SCRIPT}</xdp>".encode())
    )
    page[_name("/AA")] = _dict(O=_dict(S=_name("/Launch"), F=_text(PROGRAM)))
    link = _dict(
        Type=_name("/Annot"),
        Subtype=_name("/Link"),
        Rect=_rect(0, 0, 200, 200),
        A=_dict(S=_name("/JavaScript"), JS=_text(script)),
    )
    page[_name("/Annots")] = ArrayObject([writer._add_object(link)])
    return _written(writer)


def nested_forms_pdf(depth: int) -> bytes:
    """Forms placed inside forms `depth` deep, the innermost placing the outermost again:
    a cycle at the end of a chain."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=200, height=200)
    first = _stream(writer, b"/Fm Do", Type=_name("/XObject"), Subtype=_name("/Form"))
    outer = first
    for _ in range(depth):
        inner = _stream(writer, b"/Fm Do", Type=_name("/XObject"), Subtype=_name("/Form"))
        form = outer.get_object()
        assert isinstance(form, StreamObject)
        form[_name("/BBox")] = _rect(0, 0, 10, 10)
        form[_name("/Resources")] = _dict(XObject=_dict(Fm=inner))
        outer = inner
    last = outer.get_object()
    assert isinstance(last, StreamObject)
    last[_name("/Resources")] = _dict(XObject=_dict(Fm=first), ProcSet=ArrayObject())
    page[_name("/Resources")] = _dict(XObject=_dict(Fm=first))
    page[_name("/Contents")] = _stream(writer, b"/Fm Do")
    return _written(writer)


def photo_pattern_pdf() -> bytes:
    """A phone photo used as a tiling pattern's fill, not as a page's image: the JPEG,
    EXIF and GPS included."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=40, height=20)
    photo = _stream(
        writer,
        gps_photo(orientation=1),
        Type=_name("/XObject"),
        Subtype=_name("/Image"),
        Width=NumberObject(40),
        Height=NumberObject(20),
        ColorSpace=_name("/DeviceRGB"),
        BitsPerComponent=NumberObject(8),
        Filter=_name("/DCTDecode"),
    )
    tile = _stream(
        writer,
        b"q 40 0 0 20 0 0 cm /Im0 Do Q",
        Type=_name("/Pattern"),
        PatternType=NumberObject(1),
        PaintType=NumberObject(1),
        TilingType=NumberObject(1),
        BBox=_rect(0, 0, 40, 20),
        XStep=NumberObject(40),
        YStep=NumberObject(20),
        Resources=_dict(XObject=_dict(Im0=photo)),
    )
    page[_name("/Resources")] = _dict(Pattern=_dict(P0=tile))
    page[_name("/Contents")] = _stream(writer, b"/Pattern cs /P0 scn 0 0 40 20 re f")
    return _written(writer)
