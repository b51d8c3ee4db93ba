"""How a company's name is written before it is matched: one spelling for many.

Students type the same company in many ways ("Albert Heijn B.V.", "albert heijn bv",
"Albert  Heijn"); a keyed hash (`storage.crypto.MatchingKey`) only matches when the
bytes are equal, so every harmless difference is removed first: case, accents,
punctuation, spacing, a legal form (B.V., N.V., V.O.F., Stichting …), a leading article,
a qualifier in brackets ("(filiaal Delft)"), "&" for "en", and the Dutch ij/y spelling.
Pure and deterministic: the bot and the tests compute the same form. What the student
typed is never replaced by this; it stays, as typed, inside the sealed report.

A KvK number has no check digit (unlike a BSN or an IBAN), so "checked" means its
format only: exactly eight digits, spaces and dots allowed while typing.
"""

from __future__ import annotations

import re
import unicodedata

KVK_DIGITS = 8
# Legal forms and their spelled-out names, as tokens after punctuation is gone (a run
# of single letters is joined first: "b v" from "B. V." becomes "bv").
LEGAL_FORMS = frozenset(
    {
        "bv",
        "nv",
        "vof",
        "cv",
        "ua",
        "wa",
        "stichting",
        "stg",
        "vereniging",
        "cooperatie",
        "cooperatief",
        "maatschap",
        "eenmanszaak",
        "holding",
        "ltd",
        "llc",
        "inc",
        "gmbh",
        "sarl",
    }
)
# Spelled out, several words: removed before single tokens are looked at.
LEGAL_PHRASES = (
    "besloten vennootschap",
    "naamloze vennootschap",
    "vennootschap onder firma",
    "commanditaire vennootschap",
    "met beperkte aansprakelijkheid",
    "uitgesloten aansprakelijkheid",
)
ARTICLES = frozenset({"de", "het", "the"})
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Apostrophes join ("McDonald's" → "mcdonalds"); a dot separates ("Bol.com" → "bol com")
# and the one-letter run it leaves is joined again ("B.V." → "b v" → "bv").
_JOINING = re.compile(r"['`´’‘]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_KVK_SEPARATORS = re.compile(r"[\s.\-]")


def normalize_company(name: str) -> str:
    """The matching form of a company name; "" when nothing of a name is left."""
    text = _ascii_folded(_BRACKETS.sub(" ", name))
    text = text.replace("&", " en ").replace("+", " en ")
    text = _JOINING.sub("", text)
    tokens = _join_initials(_NOT_WORD.sub(" ", text).split())
    spaced = f" {' '.join(tokens)} "
    for phrase in LEGAL_PHRASES:
        spaced = spaced.replace(f" {phrase} ", " ")
    kept = [t for t in spaced.split() if t not in LEGAL_FORMS]
    if len(kept) > 1 and kept[0] in ARTICLES:
        kept = kept[1:]
    return " ".join(t.replace("ij", "y") for t in kept)


def normalize_kvk(text: str) -> str | None:
    """Eight digits, or None: a KvK number has no check digit, so the format is all
    that can be checked ("1234 5678" and "12.34.56.78" are accepted)."""
    digits = _KVK_SEPARATORS.sub("", text)
    if len(digits) == KVK_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None


def _ascii_folded(text: str) -> str:
    """Lower case without accents: "Café Hôtel" → "cafe hotel" (NFKD, marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _join_initials(tokens: list[str]) -> list[str]:
    """A run of one-letter tokens is one word: "b v" → "bv", "a b c bouw" → "abc bouw"."""
    out: list[str] = []
    run = ""
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run += token
            continue
        if run:
            out.append(run)
            run = ""
        out.append(token)
    if run:
        out.append(run)
    return out
