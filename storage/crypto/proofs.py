"""Proof that the service wrote what advisers act on: a MAC under the server's
"stored-proof" sub-key on every thread entry, every file and every consent the student
gave, checked whenever it is read or relied on.

Sealing alone does not prove authorship: a student's message and file are sealed to the
report's public key, which sits in a plain column, so anyone who can write the database
can seal a "student" message of their own; and `visibility` or `share_allowed` are
plain columns a writer can flip. The MAC covers the report, the kind of row, its id and
everything that says who wrote it and what it says (for a message: author, flags,
scheme, ciphertext; for a file: the message it came with and the sealed bytes; for a
consent: the values themselves), so a writer can neither forge a row, nor move one to
another report or item, nor swap its author, nor change a consent unnoticed. Only
keys.dir holds the key.

A missing MAC never matches (`server_key.mac_matches`): rows written before proofs
existed get theirs once, at the first start with keys.dir (`storage.repositories.proofs`),
and from then on a row without one is as suspect as a row with a wrong one.
"""

from __future__ import annotations

from storage.crypto.server_key import ServerKey, mac_matches
from storage.db.models import Attachment, Evaluation, EvaluationCopy, Message, PatternMember, Report

MESSAGE, ATTACHMENT, CONSENT, SHARE = "message", "attachment", "consent", "share"
EVALUATION = "evaluation"


def message_mac(server: ServerKey, row: Message) -> bytes:
    flags = (row.author_kind, row.author_id or "", "internal" if row.internal else "shown")
    return server.proof_mac(
        MESSAGE, row.report_id, row.id, *flags, row.event or "", row.scheme, row.ciphertext or b""
    )


def attachment_mac(server: ServerKey, row: Attachment) -> bytes:
    return server.proof_mac(ATTACHMENT, row.report_id, row.id, row.message_id or "", row.sealed)


def consent_mac(server: ServerKey, report: Report) -> bytes:
    """What the student chose at filing that decides where the report may go: who may
    see it, and the level and workplace the hand-over rule reads with it."""
    choice = (report.visibility, report.level or "", report.workplace_org_id or "")
    return server.proof_mac(CONSENT, report.id, *choice)


def share_mac(server: ServerKey, member: PatternMember) -> bytes:
    """Whom the student let their adviser share a report in a pattern with."""
    return server.proof_mac(SHARE, member.report_id, member.pattern_id, member.share_allowed)


def evaluation_mac(server: ServerKey, row: Evaluation, copy: EvaluationCopy) -> bytes:
    """One reader's copy of the student's evaluation text: the evaluation (its id, month
    and quote consent) and whose copy it is. Not its report: that link is cleared when
    the report is erased and a quotable text outlives it."""
    month, quote = row.month.date().isoformat(), "quote" if row.quote else "no-quote"
    reader = (copy.recipient_kind, copy.recipient_id)
    return server.proof_mac(EVALUATION, row.id, month, quote, *reader, copy.sealed)


def prove_evaluation(server: ServerKey, row: Evaluation, copy: EvaluationCopy) -> EvaluationCopy:
    copy.mac = evaluation_mac(server, row, copy)
    return copy


def evaluation_proven(server: ServerKey, row: Evaluation, copy: EvaluationCopy) -> bool:
    return mac_matches(evaluation_mac(server, row, copy), copy.mac)


def prove_message(server: ServerKey, row: Message) -> Message:
    """Set the row's proof once its content is final; returns it for `session.add`."""
    row.mac = message_mac(server, row)
    return row


def prove_attachment(server: ServerKey, row: Attachment) -> Attachment:
    row.mac = attachment_mac(server, row)
    return row


def prove_consent(server: ServerKey, report: Report) -> None:
    report.consent_mac = consent_mac(server, report)


def prove_share(server: ServerKey, member: PatternMember) -> None:
    member.share_mac = share_mac(server, member)


def message_proven(server: ServerKey, row: Message) -> bool:
    return mac_matches(message_mac(server, row), row.mac)


def attachment_proven(server: ServerKey, row: Attachment) -> bool:
    return mac_matches(attachment_mac(server, row), row.mac)


def consent_proven(server: ServerKey, report: Report) -> bool:
    return mac_matches(consent_mac(server, report), report.consent_mac)


def share_proven(server: ServerKey, member: PatternMember) -> bool:
    return mac_matches(share_mac(server, member), member.share_mac)
