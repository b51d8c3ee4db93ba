"""Annotations painted into the page, so how they look stays while their record goes.

A student may fill in a form, highlight a line or draw a black box over a name before
sending a PDF; each of those is an annotation, and each also records who made it (/T:
the account's name), when (/M, /CreationDate), its popup text and what a click does.
The rebuilt page keeps only how each shown annotation looks: its normal appearance (a
form XObject, itself copied by the drawing whitelist) is painted over the page's content
where a viewer would show it, as printing does. The annotation itself is not copied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

MAX_ANNOTATIONS: Final = 2_000
NOT_SHOWN: Final = 2 | 32  # the Hidden and NoView flags
Matrix = tuple[float, float, float, float, float, float]
Copy = Callable[[PdfObject], PdfObject | None]


def paint_annotations(writer: PdfWriter, page: PageObject, source: PageObject, copy: Copy) -> None:
    """Paint onto `page` (in `writer`) the appearance of every annotation `source` shows."""
    placed: list[tuple[IndirectObject, Matrix]] = []
    for appearance, rect in _shown(source.get("/Annots")):
        form = appearance.get_object()
        matrix = _fit(form, rect) if isinstance(form, StreamObject) else None
        copied = copy(appearance) if matrix is not None else None
        if isinstance(copied, IndirectObject) and matrix is not None:
            placed.append((copied, matrix))
    if placed:
        _draw(writer, page, placed)


def _shown(annots: PdfObject | None) -> Iterator[tuple[IndirectObject, list[float]]]:
    """(normal appearance, rectangle) of each annotation a viewer shows."""
    items = annots.get_object() if annots is not None else None
    if not isinstance(items, ArrayObject):
        return
    for item in items[:MAX_ANNOTATIONS]:
        annotation = item.get_object()
        if not isinstance(annotation, DictionaryObject) or annotation.get("/Subtype") == "/Popup":
            continue
        flags = annotation.get("/F", NumberObject(0)).get_object()
        if not isinstance(flags, int) or flags & NOT_SHOWN:
            continue
        appearance, rect = _normal(annotation), _numbers(annotation.get("/Rect"), 4)
        if appearance is not None and rect is not None:
            yield appearance, rect


def _normal(annotation: DictionaryObject) -> IndirectObject | None:
    """The normal appearance; for a check box or radio button, that of its state."""
    appearances = annotation.get("/AP")
    appearances = appearances.get_object() if appearances is not None else None
    if not isinstance(appearances, DictionaryObject):
        return None
    normal = appearances.raw_get("/N") if "/N" in appearances else None
    if isinstance(normal, IndirectObject) and isinstance(normal.get_object(), StreamObject):
        return normal
    states = normal.get_object() if normal is not None else None
    state = annotation.get("/AS")
    if isinstance(states, DictionaryObject) and isinstance(state, NameObject) and state in states:
        chosen = states.raw_get(state)
        return chosen if isinstance(chosen, IndirectObject) else None
    return None


def _numbers(value: PdfObject | None, count: int) -> list[float] | None:
    items = value.get_object() if value is not None else None
    if not isinstance(items, ArrayObject) or len(items) != count:
        return None
    numbers = [item.get_object() for item in items]
    if not all(isinstance(n, (NumberObject, FloatObject)) for n in numbers):
        return None
    return [float(n) for n in numbers]


def _fit(form: StreamObject, rect: list[float]) -> Matrix | None:
    """The matrix that maps the form's transformed bounding box onto the annotation's
    rectangle (the PDF specification's rule for drawing an appearance)."""
    box = _numbers(form.get("/BBox"), 4)
    a, b, c, d, e, f = _numbers(form.get("/Matrix"), 6) or [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    if box is None:
        return None
    corners = [(x, y) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs = [a * x + c * y + e for x, y in corners]
    ys = [b * x + d * y + f for x, y in corners]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    left, right = sorted((rect[0], rect[2]))
    bottom, top = sorted((rect[1], rect[3]))
    if width <= 0 or height <= 0:
        return None
    sx, sy = (right - left) / width, (top - bottom) / height
    return (sx, 0.0, 0.0, sy, left - min(xs) * sx, bottom - min(ys) * sy)


def _draw(writer: PdfWriter, page: PageObject, placed: list[tuple[IndirectObject, Matrix]]) -> None:
    """The old content in its own graphics state, then each appearance over it."""
    resources = _dictionary_at(page, "/Resources")
    xobjects = _dictionary_at(resources, "/XObject")
    painting = []
    for form, matrix in placed:
        name = _free_name(xobjects)
        xobjects[NameObject(name)] = form
        numbers = " ".join(f"{n:.4f}" for n in matrix)
        painting.append(f"q {numbers} cm {name} Do Q")
    old = page.get("/Contents")
    before = list(old) if isinstance(old, ArrayObject) else [] if old is None else [old]
    page[NameObject("/Contents")] = ArrayObject(
        [_content(writer, "q"), *before, _content(writer, "Q\n" + "\n".join(painting))]
    )


def _dictionary_at(parent: DictionaryObject, key: str) -> DictionaryObject:
    """The dictionary under `key`, put there (empty) when there is none."""
    found = parent[key].get_object() if key in parent else None
    if isinstance(found, DictionaryObject):
        return found
    fresh = DictionaryObject()
    parent[NameObject(key)] = fresh
    return fresh


def _free_name(xobjects: DictionaryObject) -> str:
    number = len(xobjects)
    while f"/Shown{number}" in xobjects:
        number += 1
    return f"/Shown{number}"


def _content(writer: PdfWriter, text: str) -> IndirectObject:
    stream = StreamObject()
    stream.set_data(text.encode() + b"\n")
    return writer._add_object(stream)
