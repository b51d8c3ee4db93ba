"""vocabulary/: the words dialogues and storage share, spelled once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vocabulary import (
    ENDED_STATUSES,
    OPEN_STATUSES,
    ReportStatus,
    ThreadEvent,
    format_receipt,
    normalize_receipt,
)


def test_every_status_is_open_or_ended_and_none_is_both() -> None:
    assert frozenset(ReportStatus) == OPEN_STATUSES | ENDED_STATUSES
    assert not OPEN_STATUSES & ENDED_STATUSES
    assert {"closed", "withdrawn"} == ENDED_STATUSES


def test_statuses_compare_and_hash_as_the_strings_stored() -> None:
    assert "in_progress" in OPEN_STATUSES
    assert f"status_{ReportStatus.WAITING}" == "status_waiting" == ThreadEvent.STATUS_WAITING  # type: ignore[comparison-overlap]
    assert [str(s) for s in ReportStatus] == [
        "received",
        "in_progress",
        "waiting",
        "closed",
        "withdrawn",
    ]


def test_format_groups_the_digits_in_fours() -> None:
    assert format_receipt("4821093755218804") == "4821 0937 5521 8804"


@given(st.text(alphabet="0123456789", min_size=16, max_size=16), st.sampled_from([" ", "-", "."]))
def test_normalize_accepts_any_grouping(code: str, sep: str) -> None:
    grouped = sep.join(code[i : i + 4] for i in range(0, 16, 4))
    assert normalize_receipt(grouped) == code
    assert normalize_receipt(f"  {format_receipt(code)} ") == code


@given(st.text(max_size=40))
def test_normalize_returns_16_ascii_digits_or_none(text: str) -> None:
    result = normalize_receipt(text)
    assert result is None or (len(result) == 16 and result.isascii() and result.isdigit())


def test_normalize_rejects_non_ascii_digits_and_wrong_lengths() -> None:
    assert normalize_receipt("١٢٣٤١٢٣٤١٢٣٤١٢٣٤") is None  # Arabic-Indic digits
    assert normalize_receipt("１２３４１２３４１２３４１２３４") is None  # full-width
    assert normalize_receipt("1234 5678 9012 345") is None
    assert normalize_receipt("1234 5678 9012 34567") is None
    assert normalize_receipt("1234_5678_9012_3456") is None


@given(st.integers(min_value=0, max_value=10**16 - 1))
def test_format_then_normalize_round_trips(n: int) -> None:
    code = f"{n:016d}"
    assert normalize_receipt(format_receipt(code)) == code
