"""A PDF's pages copied by a whitelist, so nothing a tool wrote about its maker comes along.

Tools leave their user in more places than the info dictionary: Acrobat and Preview sign
every comment with the account's name (/T) and dates (/M, /CreationDate), InDesign and
Illustrator leave /PieceInfo (with file paths), a placed graphic keeps its own XMP
(/Metadata), and any page key may point at the info dictionary itself. Deleting known
keys loses that race, so each page is built anew instead:

- a page keeps only the keys that draw it (boxes, rotation, group, resources, contents);
- its resources keep only the kinds that draw (fonts, XObjects, graphics states, colour
  spaces, patterns, shadings, procedure sets);
- every dictionary reached from there keeps only the keys the drawing model defines
  for fonts, images, forms, colour spaces, patterns, shadings, functions and graphics
  states: no /Metadata, /PieceInfo, /LastModified, /OC, /AF, /OPI or anything unknown;
  an ICC-based colour space becomes the device space (a profile names its screen).

Annotations (comments, links, form fields) carry authors, dates, URIs and actions: none
is copied; only how a shown one looks is painted into the page (`pdf_flatten`). Nothing
of the old catalog comes along either: no info dictionary, XMP, /OpenAction, /AA,
/Names (JavaScript, embedded files), /AcroForm or outlines. Content streams and font
programs are kept as bytes.

The walk copies each reached object once (a cycle ends at its own copy) and refuses a
file whose graph is deeper or larger than any real document's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    PdfObject,
    StreamObject,
)

from bot.intake.pdf_flatten import paint_annotations

Context = Literal["drawing", "resources", "names", "contents"]

MAX_DEPTH: Final = 150  # a dozen nested placed graphics are about 60
MAX_NODES: Final = 500_000
DEVICE_SPACES: Final = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}

PAGE_KEYS: Final = frozenset(
    {"/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Rotate", "/UserUnit"}
    | {"/Group", "/Resources", "/Contents"}
)
RESOURCE_KINDS: Final = frozenset(
    {"/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/ProcSet"}
)
# Dictionaries whose keys are names the document chose (a glyph, a colorant, a font
# class): every key stays, every value is a drawing object.
NAME_MAPS: Final = frozenset({"/CharProcs", "/Colorants", "/FD"})
_STREAMS: Final = {"/Type", "/Subtype", "/Filter", "/DecodeParms"}
_FILTER_PARAMS: Final = {
    "/Predictor", "/Colors", "/BitsPerComponent", "/Columns", "/EarlyChange", "/K",
    "/EndOfLine", "/EncodedByteAlign", "/Rows", "/EndOfBlock", "/BlackIs1",
    "/DamagedRowsBeforeError", "/JBIG2Globals", "/ColorTransform",
}  # fmt: skip
_IMAGES_AND_FORMS: Final = {
    "/Width", "/Height", "/ColorSpace", "/Intent", "/ImageMask", "/Mask", "/Decode",
    "/Interpolate", "/SMask", "/SMaskInData", "/Matte", "/FormType", "/BBox", "/Matrix",
    "/Resources", "/Group", "/S", "/CS", "/I", "/N", "/Alternate", "/Range",
}  # fmt: skip
_FONTS: Final = {
    "/BaseFont", "/FirstChar", "/LastChar", "/Widths", "/FontDescriptor", "/Encoding",
    "/ToUnicode", "/DescendantFonts", "/CIDSystemInfo", "/DW", "/W", "/DW2", "/W2",
    "/CIDToGIDMap", "/FontBBox", "/FontMatrix", "/CharProcs", "/FontName", "/FontFamily",
    "/FontStretch", "/FontWeight", "/Flags", "/ItalicAngle", "/Ascent", "/Descent",
    "/Leading", "/CapHeight", "/XHeight", "/StemV", "/StemH", "/AvgWidth", "/MaxWidth",
    "/MissingWidth", "/FontFile", "/FontFile2", "/FontFile3", "/CharSet", "/Style",
    "/Panose", "/Lang", "/FD", "/CIDSet", "/Length1", "/Length2", "/Length3",
    "/BaseEncoding", "/Differences", "/Registry", "/Ordering", "/Supplement", "/CMapName",
    "/WMode", "/UseCMap",
}  # fmt: skip
_GRAPHICS_STATES: Final = {
    "/LW", "/LC", "/LJ", "/ML", "/D", "/RI", "/OP", "/op", "/OPM", "/Font", "/BG", "/BG2",
    "/UCR", "/UCR2", "/TR", "/TR2", "/HT", "/FL", "/SM", "/SA", "/BM", "/CA", "/ca",
    "/AIS", "/TK", "/UseBlackPtComp", "/HTO", "/G", "/BC", "/HalftoneType", "/Frequency",
    "/Angle", "/SpotFunction", "/AccurateScreens", "/TransferFunction", "/Width2",
    "/Height2", "/Xsquare", "/Ysquare",
}  # fmt: skip
_FUNCTIONS_SHADINGS_PATTERNS: Final = {
    "/FunctionType", "/Domain", "/Size", "/BitsPerSample", "/Order", "/Encode", "/C0",
    "/C1", "/Functions", "/Bounds", "/ShadingType", "/Background", "/AntiAlias", "/Coords",
    "/Function", "/Extend", "/BitsPerCoordinate", "/BitsPerFlag", "/VerticesPerRow",
    "/PatternType", "/PaintType", "/TilingType", "/XStep", "/YStep", "/Shading",
    "/ExtGState", "/Colorants", "/Process", "/Components",
}  # fmt: skip
DRAWING_KEYS: Final = frozenset(
    _STREAMS
    | _FILTER_PARAMS
    | _IMAGES_AND_FORMS
    | _FONTS
    | _GRAPHICS_STATES
    | _FUNCTIONS_SHADINGS_PATTERNS
)


def copy_pages(writer: PdfWriter, sources: Iterable[PageObject]) -> list[PageObject]:
    """New pages in `writer` drawing what `sources` draw, and carrying nothing else; what
    pages share (fonts, images) is copied once."""
    copier = _Copier(writer)
    return [_copy_page(copier, source) for source in sources]


def _copy_page(copier: _Copier, source: PageObject) -> PageObject:
    box = source.mediabox
    page = copier.writer.add_blank_page(abs(float(box.width)), abs(float(box.height)))
    for key, value in source.items():
        if key in PAGE_KEYS:
            kept = copier.copy(value, _page_context(key), 1)
            if kept is not None:
                page[NameObject(key)] = kept
    paint_annotations(copier.writer, page, source, lambda v: copier.copy(v, "drawing", 1))
    return page


def _page_context(key: str) -> Context:
    if key == "/Resources":
        return "resources"
    return "contents" if key == "/Contents" else "drawing"


def _device_space(space: ArrayObject) -> NameObject | None:
    """An ICC profile names the screen, printer or calibration it came from (and when):
    an ICC-based colour space becomes the device space with as many components, as a
    photo's own profile is dropped too."""
    if len(space) != 2 or space[0] != "/ICCBased":
        return None
    profile = space[1].get_object()
    components = profile.get("/N") if isinstance(profile, DictionaryObject) else None
    device = DEVICE_SPACES.get(components) if isinstance(components, int) else None
    return NameObject(device) if device is not None else None


@dataclass
class _Copier:
    writer: PdfWriter
    copied: dict[tuple[int, int, Context], IndirectObject] = field(default_factory=dict)
    nodes: int = 0

    def copy(self, value: PdfObject, context: Context, depth: int) -> PdfObject | None:
        """`value` rebuilt in the writer with only the keys `context` allows; None
        when it has no place there (a contents entry that is not a stream)."""
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise ValueError("a PDF object graph deeper or larger than a document's")
        if isinstance(value, IndirectObject):
            return self._indirect(value, context, depth)
        if isinstance(value, ArrayObject):
            device = _device_space(value)
            if device is not None:
                return device
            items = (self.copy(item, context, depth + 1) for item in value)
            return ArrayObject(item for item in items if item is not None)
        if context == "contents" and not isinstance(value, StreamObject):
            return None
        if isinstance(value, DictionaryObject):
            return self._dictionary(value, context, depth)
        return value  # a number, name, string, boolean or null: nothing inside it

    def _indirect(self, ref: IndirectObject, context: Context, depth: int) -> PdfObject | None:
        seen = (ref.idnum, ref.generation, context)
        if seen in self.copied:
            return self.copied[seen]
        target = ref.get_object()
        if target is None or (context == "contents" and not isinstance(target, StreamObject)):
            return None
        placeholder = self.writer._add_object(NullObject())
        self.copied[seen] = placeholder  # a cycle back here ends at the copy
        copy = self.copy(target, context, depth + 1)
        self.writer._replace_object(placeholder, copy if copy is not None else NullObject())
        return placeholder

    def _dictionary(self, source: DictionaryObject, context: Context, depth: int) -> PdfObject:
        kept: dict[str, object] = {}
        for key, value in source.items():
            inner = self._inner(key, context)
            if inner is None:
                continue
            copy = self.copy(value, inner, depth + 1)
            if copy is not None:
                kept[key] = copy
        if isinstance(source, StreamObject):
            kept["__streamdata__"] = source._data  # the bytes as written, still encoded
            return StreamObject.initialize_from_dictionary(kept)
        return DictionaryObject({NameObject(key): value for key, value in kept.items()})

    @staticmethod
    def _inner(key: str, context: Context) -> Context | None:
        """The context a key's value is read in, or None when the key is not kept."""
        if context == "names":
            return "drawing"
        if context == "resources":
            if key not in RESOURCE_KINDS:
                return None
            return "drawing" if key == "/ProcSet" else "names"
        if key not in DRAWING_KEYS:
            return None
        if key == "/Resources":
            return "resources"
        return "names" if key in NAME_MAPS else "drawing"
