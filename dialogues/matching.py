"""A typed answer to the button it means: "afkomst" → origin, "roc mondriaaan" → the
Mondriaan school, "vorige week" → this week.

Students type instead of tapping, with typos, half words and their own words. Matching
is tried from strict to loose, and the first kind of evidence that picks out exactly one
option decides:

1. the whole label, as the button says it (case, accents and punctuation aside);
2. a synonym (kept in the locale files as `syn_<step>_<value>`, or the other language's
   label and synonyms);
3. a run of whole words inside a label or synonym ("mondriaan" in "ROC Mondriaan");
4. the start of a label, synonym or one of their words ("afk" → "Afkomst …");
5. typo distance (rapidfuzz's normalised Indel ratio) to any of those.

Kinds 1–3 are sure. A prefix is sure from four letters on; a typo is sure only when it
is very close and clearly closer than any other option. Anything less is a *guess*:
the engine asks "Did you mean X?" first. Two options equally close is no match at all:
guessing between them would be a coin toss.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from dialogues.intents import normalise

MAX_TYPED = 64  # longer texts are stories, not button presses
MIN_WORDS_PART = 4  # a run of words or a prefix this long is evidence enough
MIN_PREFIX = 3
MIN_FUZZY = 4
SURE = 92.0  # typo ratio for a sure match
GUESS = 75.0  # typo ratio for a guess to confirm
MARGIN = 8.0  # how far the best option must be ahead of the next


@dataclass(frozen=True, slots=True)
class Option:
    """One button as a typed answer may name it."""

    value: str
    label: str  # what the button says
    synonyms: tuple[str, ...] = ()  # other words for it (either language)


@dataclass(frozen=True, slots=True)
class Match:
    value: str
    sure: bool  # False: a guess, to be confirmed before it counts


def split_synonyms(text: str) -> tuple[str, ...]:
    """`syn_*` texts are comma-separated phrases."""
    return tuple(p.strip() for p in text.split(",") if p.strip())


def match_option(text: str, options: Sequence[Option], *, loose: bool = True) -> Match | None:
    """loose=False: only the whole label or a synonym (kinds 1 and 2)."""
    typed = normalise(text)
    if not typed or len(typed) > MAX_TYPED or not options:
        return None
    labels = [(o.value, (normalise(o.label),)) for o in options]
    phrases = [(o.value, _phrases(o)) for o in options]
    stages: list[Callable[[str, Table], Found]] = [_exact, _exact]
    tables: list[Table] = [labels, phrases]
    if loose:
        stages += [_words, _prefix]
        tables += [phrases, phrases]
    for stage, table in zip(stages, tables, strict=True):
        decided, found = stage(typed, table)
        if decided:
            return found
    return _fuzzy(typed, phrases) if loose else None


def _phrases(option: Option) -> tuple[str, ...]:
    found = (normalise(p) for p in (option.label, *option.synonyms))
    return tuple(dict.fromkeys(p for p in found if p))


Table = Sequence[tuple[str, tuple[str, ...]]]
Found = tuple[bool, Match | None]  # (this kind of evidence decides, the match if one)


def _one(values: set[str], *, sure: bool) -> Found:
    """No evidence: look further. Evidence for several options: stop, no match.
    Evidence for exactly one: that option."""
    if not values:
        return False, None
    if len(values) > 1:
        return True, None
    return True, Match(values.pop(), sure)


def _exact(typed: str, table: Table) -> Found:
    return _one({v for v, phrases in table if typed in phrases}, sure=True)


def _windows(phrase: str, size: int) -> Iterable[str]:
    words = phrase.split()
    return (" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def _words(typed: str, table: Table) -> Found:
    if len(typed) < MIN_WORDS_PART:
        return False, None
    size = len(typed.split())
    hits = {v for v, phrases in table if any(typed in _windows(p, size) for p in phrases)}
    return _one(hits, sure=True)


def _prefix(typed: str, table: Table) -> Found:
    if len(typed) < MIN_PREFIX:
        return False, None
    hits = {
        v
        for v, phrases in table
        if any(p.startswith(typed) or any(w.startswith(typed) for w in p.split()) for p in phrases)
    }
    return _one(hits, sure=len(typed) >= MIN_WORDS_PART)


def _fuzzy(typed: str, table: Table) -> Match | None:
    if len(typed) < MIN_FUZZY:
        return None
    size = len(typed.split())
    scores = sorted(
        (
            (max(_score(typed, c) for p in phrases for c in (p, *_windows(p, size))), v)
            for v, phrases in table
        ),
        reverse=True,
    )
    best, value = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    if best < GUESS or best - runner_up < MARGIN:
        return None
    return Match(value, sure=best >= SURE)


def _score(typed: str, candidate: str) -> float:
    return max(fuzz.ratio(typed, candidate), fuzz.token_sort_ratio(typed, candidate))
