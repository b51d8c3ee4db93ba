"""The issue's "What must hold", applied to what the attacker found in each copy."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storage.crypto import receipt_keys
from storage.crypto.keys import KeyStore
from tests.system.seizure.analysis import Findings, Subject
from tests.system.seizure.needles import Needle, needle, receipt_needles
from tests.system.seizure.scenario import CHAT_RANGE, Moment, Run
from vocabulary import normalize_company

PLAINTEXT = ("raw bytes", "plain value")


@dataclass(frozen=True)
class Filed:
    report_id: str
    reference: str


def needles_for(run: Run, filed: dict[str, Filed]) -> list[Needle]:
    out: list[Needle] = []
    for name, p in run.pupils.items():
        out.append(needle("marker", name, p.marker))
        out.append(needle("chat id", name, str(p.chat_id)))
        if p.reply_marker:
            out.append(needle("reply", name, p.reply_marker))
        if p.evaluation_marker:
            out.append(needle("evaluation", name, p.evaluation_marker))
        if p.receipt:
            out += receipt_needles(name, p.receipt)
        if name in filed:
            out.append(needle("report id", name, filed[name].report_id))
            out.append(needle("reference", name, filed[name].reference))
        if p.company is not None:
            out += company_needles(name, p.company)
    return out


def company_needles(student: str, company: tuple[str, str, str]) -> list[Needle]:
    """A company name in any form: as typed, without its legal form, normalised for
    matching (`normalize_company`), in any case; its town and KvK number too."""
    name, town, kvk = company
    forms = {name, normalize_company(name), " ".join(name.split()[:2]), town, kvk}
    return [
        Needle("company", student, re.compile(re.escape(form.encode()), re.IGNORECASE))
        for form in sorted(forms)
        if form
    ]


def report_of(keys_dir: Path, reports: list[dict[str, object]], receipt: str) -> Filed:
    """The test's own knowledge (it saw the receipt): which report a student filed."""
    store = KeyStore.load(keys_dir)
    lookup = receipt_keys.derive_receipt_keys(receipt, store.receipt_salt, store.kdf).lookup
    for r in reports:
        if bytes(r["receipt_lookup"]) == lookup:  # type: ignore[call-overload]
            return Filed(str(r["id"]), str(r["reference"]))
    raise AssertionError(f"no report opens with receipt {receipt}")


def subjects_at(run: Run, moment: Moment, filed: dict[str, Filed], keys_dir: Path) -> list[Subject]:
    server = KeyStore.load(keys_dir).server
    return [
        Subject(
            name,
            server.chat_key(run.pupils[name].channel, str(run.pupils[name].chat_id)),
            filed[name].report_id,
            moment.quiet_after_filing[name],
        )
        for name, state in moment.states.items()
        if state == "filed" and name in filed
    ]


def forbidden(moment: Moment, found: Findings) -> tuple[list[str], list[str]]:
    """(violations, allowed-but-noted) for one copy."""
    bad: list[str] = []
    noted: list[str] = []
    for hit in found.hits:
        kind, who = hit.needle.kind, hit.needle.student
        state = moment.states.get(who, "")
        decrypted = hit.how not in PLAINTEXT
        if kind in ("marker", "company"):
            (bad if state in ("filed", "stopped") else noted).append(
                f"{hit} (the student's draft is {state})"
            )
        elif kind in ("receipt", "reply", "evaluation"):
            bad.append(str(hit))
        elif kind == "chat id":
            (bad if not decrypted or state == "filed" else noted).append(
                f"{hit} (the student is {state})"
            )
        elif kind in ("report id", "reference") and decrypted:
            bad.append(f"{hit}: a chat-keyed secret names the report")
    bad += found.links
    return bad, noted


def judge(
    run: Run,
    attack: Callable[[str, Path, list[Needle], list[Subject], range], Findings],
    filed: dict[str, Filed],
    keys_dir: Path,
) -> tuple[list[str], list[str], list[Findings]]:
    needles = needles_for(run, filed)
    violations: list[str] = []
    notes: list[str] = []
    all_found = []
    for moment in run.moments:
        found = attack(
            moment.name, moment.copy, needles, subjects_at(run, moment, filed, keys_dir), CHAT_RANGE
        )
        all_found.append(found)
        bad, noted = forbidden(moment, found)
        violations += bad
        notes += noted
    return violations, notes, all_found


def summary(violations: list[str], limit: int = 60) -> str:
    """One line per kind of finding (moment, what, whose, where, how) with a count, so the
    message stays readable."""
    groups: dict[str, list[str]] = {}
    for v in violations:
        where = v.split(" found in ")[-1].split(" @ ")[0].split(" column ")[0]
        how = v.split(" via ")[-1].split("(")[0] if " via " in v else "link"
        key = v.split(" found in ")[0] + " | " + where.split(" frame ")[0] + " | " + how
        groups.setdefault(key, []).append(v)
    per_moment: dict[str, list[str]] = {}
    for vs in groups.values():
        per_moment.setdefault(vs[0].split("]")[0], []).append(f"({len(vs)}x) {vs[0][:360]}")
    share = max(4, limit // max(1, len(per_moment)))  # every moment gets its say
    lines = [line for kinds in per_moment.values() for line in kinds[:share]]
    more = len(groups) - len(lines)
    return "\n".join(lines) + (f"\n... and {more} more kinds" if more > 0 else "")
