"""Free text to intent ("hoe staat mijn melding ervoor" → check_status), fuzzily.

The examples live in Rasa's nlu.yml format, so a deployment that outgrows fuzzy
matching can train Rasa on the same file.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

NLU_FILE = Path(__file__).resolve().parent / "nlu.yml"
THRESHOLD = 82.0
MAX_LENGTH = 80  # longer texts are stories, not requests


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", letters).split())


def _score(query: str, choice: str, **_: object) -> float:
    return max(fuzz.ratio(query, choice), fuzz.token_sort_ratio(query, choice))


class IntentMatcher:
    def __init__(self, path: Path = NLU_FILE) -> None:
        self.examples: list[str] = []
        self.intents: list[str] = []
        for intent, examples in load_nlu(path).items():
            for example in examples:
                self.examples.append(normalise(example))
                self.intents.append(intent)

    def match(self, text: str) -> str | None:
        query = normalise(text)
        if not query or len(query) > MAX_LENGTH:
            return None
        best = process.extractOne(query, self.examples, scorer=_score, score_cutoff=THRESHOLD)
        return None if best is None else self.intents[best[2]]


def load_nlu(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for entry in data.get("nlu", []):
        lines = str(entry.get("examples", "")).splitlines()
        out[str(entry["intent"])] = [
            ln.strip()[2:].strip() for ln in lines if ln.strip().startswith("- ")
        ]
    return out
