"""Free text to intent ("hoe staat mijn melding ervoor" → check_status), fuzzily.

Students type rather than tap, with typos and without accents. The examples live in
Rasa's nlu.yml format, so a deployment that outgrows fuzzy matching can train Rasa on
the same file. Long texts are never matched: those are stories, not requests.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

NLU_FILE = Path(__file__).resolve().parent / "nlu.yml"
THRESHOLD = 82.0
MAX_LENGTH = 80
# What each intent means: the command it stands for (the engine refuses an nlu.yml
# with an intent missing here).
INTENT_COMMANDS = {
    "check_status": "status",
    "start_report": "report",
    "help": "help",
    "privacy": "privacy",
    "stop": "stop",
    "greet": "start",
    "change_language": "language",
    "withdraw": "withdraw",
}


def normalise(text: str) -> str:
    """Case, accents, punctuation and invisible characters do not change what is meant."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"  # zero-width
    )
    return " ".join(re.sub(r"[^\w\s]|_", " ", kept).split())


def _score(query: str, choice: str, **_: object) -> float:
    return max(fuzz.ratio(query, choice), fuzz.token_sort_ratio(query, choice))


class IntentMatcher:
    def __init__(self, path: Path = NLU_FILE) -> None:
        self.examples: list[str] = []
        self.labels: list[str] = []
        for intent, examples in load_nlu(path).items():
            for example in examples:
                self.examples.append(normalise(example))
                self.labels.append(intent)
        self.rules = [(re.compile(p), name) for name, ps in load_rules(path).items() for p in ps]

    def names(self) -> set[str]:
        return set(self.labels) | {name for _, name in self.rules}

    def match(self, text: str) -> str | None:
        query = normalise(text)
        if not query or len(query) > MAX_LENGTH:
            return None
        best = process.extractOne(query, self.examples, scorer=_score, score_cutoff=THRESHOLD)
        if best is not None:
            return self.labels[best[2]]
        return next((name for rule, name in self.rules if rule.search(query)), None)


def load_nlu(path: Path) -> dict[str, list[str]]:
    """The `intent:` entries' examples, by intent."""
    return _entries(path, "intent")


def load_rules(path: Path) -> dict[str, list[str]]:
    """The `regex:` entries' patterns, by the intent they stand for; checked here."""
    rules = _entries(path, "regex")
    for name, patterns in rules.items():
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{path}: regex {name}: {exc}") from None
    return rules


def _entries(path: Path, kind: str) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("nlu"), list):
        raise ValueError(f"{path}: expected Rasa NLU data with an nlu: list")
    out: dict[str, list[str]] = {}
    for entry in data["nlu"]:
        if not isinstance(entry, dict) or not any(
            isinstance(entry.get(k), str) for k in ("intent", "regex")
        ):
            raise ValueError(f"{path}: every nlu entry needs an intent (or a regex)")
        name = entry.get(kind)
        if not isinstance(name, str):
            continue
        lines = str(entry.get("examples", "")).splitlines()
        examples = [ln.strip()[2:].strip() for ln in lines if ln.strip().startswith("- ")]
        if not examples:
            raise ValueError(f"{path}: {kind} {name} has no examples")
        out.setdefault(name, []).extend(examples)
    return out
