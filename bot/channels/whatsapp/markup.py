"""The engine's Telegram-HTML (<b>, <i>, escaped user text) as WhatsApp formatting:
*bold* and _italic_. WhatsApp shows tags literally, so none may survive; and it has no
escapes, so a student's own * or _ simply stays as typed."""

from __future__ import annotations

from html.parser import HTMLParser

MARKS = {"b": "*", "i": "_"}


class _WhatsApp(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(MARKS.get(tag, ""))

    def handle_endtag(self, tag: str) -> None:
        self.out.append(MARKS.get(tag, ""))

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def whatsapp_text(html: str) -> str:
    parser = _WhatsApp()
    parser.feed(html)
    parser.close()
    return _tidy("".join(parser.out))


def _tidy(text: str) -> str:
    """`*  x*` does not render as bold on WhatsApp: a mark must touch its words. Marks
    around nothing (`**`) are dropped."""
    for mark in MARKS.values():
        text = text.replace(mark + mark, "")
    return text


def plain(html: str) -> str:
    """Without any marks: for button and row titles, which take no formatting."""
    return whatsapp_text(html).replace("*", "").replace("_", "")


def split(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line or word ends."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n\n", 0, limit), rest.rfind("\n", 0, limit))
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def tail_within(text: str, limit: int) -> tuple[str, str]:
    """(head, tail): the last paragraphs that fit in `limit` as the tail (the question a
    list or buttons come with), everything before as the head. No paragraph fits: all head."""
    if len(text) <= limit:
        return "", text
    cut = text.find("\n\n", len(text) - limit)
    while cut != -1:
        tail = text[cut:].strip()
        if tail and len(tail) <= limit:
            return text[:cut].rstrip(), tail
        cut = text.find("\n\n", cut + 2)
    return text, ""
