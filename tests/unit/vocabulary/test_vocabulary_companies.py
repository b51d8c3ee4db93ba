"""Company names are normalised before they are matched: the spellings of one company
meet, different companies do not (a table of real-looking Dutch names, and properties
over generated ones); KvK numbers are checked for their format (they have no check
digit)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vocabulary import normalize_company, normalize_kvk

# Each row: spellings of one company that must meet.
SAME = [
    ("Albert Heijn B.V.", "albert heijn bv", "Albert  Heijn", "ALBERT HEIJN", "Albert Heyn"),
    ("De Bijenkorf", "Bijenkorf B. V.", "bijenkorf", "De  Bijenkorf N.V."),
    ("Bakkerij Jansen V.O.F.", "V.O.F. Bakkerij Jansen", "bakkerij jansen", "Bakkerij Jansen vof"),
    ("Stichting Jeugdzorg Haaglanden", "Jeugdzorg Haaglanden", "jeugdzorg haaglanden stg"),
    ("Café 't Hoekje", "Cafe 't Hoekje", "café ’t hoekje", "CAFE T HOEKJE"),
    ("Van der Valk Hotel Den Haag", "van der valk hotel den haag", "Van der Valk Hotel, Den Haag"),
    ("McDonald's Nederland B.V.", "McDonalds Nederland", "mcdonald’s nederland bv"),
    ("Smit & Zn.", "Smit en Zn", "smit & zn"),
    ("HagaZiekenhuis", "hagaziekenhuis", "HAGAZIEKENHUIS"),
    ("Gemeente Den Haag (als stagebieder)", "Gemeente Den Haag", "gemeente den haag"),
    ("Coöperatie Rabobank U.A.", "Rabobank", "cooperatie rabobank ua", "Rabobank U.A."),
    ("Garage Öztürk", "garage ozturk", "Garage Ozturk B.V."),
    ("Bouwbedrijf Heijmans N.V.", "Bouwbedrijf Heymans", "bouwbedrijf heijmans nv"),
    ("Kapsalon Fatima", "Kapsalon  Fatima ", "kapsalon-fatima"),
]
# Pairs of different companies that must not meet.
DIFFERENT = [
    ("Albert Heijn", "Albert Heijn XL"),
    ("Albert Heijn", "Heijn Albert"),
    ("Jumbo", "Jumbo Supermarkten"),
    ("Bakkerij Jansen", "Bakkerij Janssen"),
    ("HEMA", "Hema Food"),
    ("Bouwbedrijf Heijmans", "Bouwbedrijf Hermans"),
    ("Stichting Jeugdzorg Haaglanden", "Stichting Jeugdzorg Rijnmond"),
    ("Van der Valk Delft", "Van der Valk Den Haag"),
    ("Praxis", "Gamma"),
    ("Garage 2000", "Garage 3000"),
    ("Zorggroep De Eik", "Zorggroep De Beuk"),
]


@pytest.mark.parametrize("spellings", SAME)
def test_spellings_of_one_company_meet(spellings: tuple[str, ...]) -> None:
    forms = {normalize_company(s) for s in spellings}
    assert len(forms) == 1 and forms != {""}, forms


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_companies_do_not_meet(one: str, other: str) -> None:
    assert normalize_company(one) != normalize_company(other)


def test_rows_of_the_table_do_not_meet_each_other() -> None:
    forms = [normalize_company(row[0]) for row in SAME]
    assert len(set(forms)) == len(forms)


def test_nothing_but_a_legal_form_is_no_name() -> None:
    assert normalize_company("B.V.") == normalize_company("  ") == normalize_company("--") == ""


# Words made of letters only: the base names the properties vary the writing of.
WORD = st.text(alphabet="abcdefghklmnoprstuvwz", min_size=3, max_size=10).filter(
    lambda w: w not in {"stichting", "holding", "cooperatie", "cooperatief", "maatschap"}
)
NAME = st.lists(WORD, min_size=1, max_size=4).map(" ".join)
LEGAL = st.sampled_from(["B.V.", "BV", "bv", "b.v.", "N.V.", "V.O.F.", "vof", "Stichting", ""])


@given(NAME)
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalize_company(name)
    assert normalize_company(once) == once


@given(NAME, LEGAL, st.integers(1, 3), st.booleans())
def test_case_spacing_and_legal_form_do_not_matter(
    name: str, legal: str, spaces: int, upper: bool
) -> None:
    written = (" " * spaces).join(name.split())
    written = written.upper() if upper else written.title()
    variant = f"{legal} {written}" if legal == "Stichting" else f"{written} {legal}"
    assert normalize_company(variant) == normalize_company(name)


@given(NAME, st.sampled_from([".", ",", "-", "!", "/", "  "]))
def test_punctuation_between_words_does_not_matter(name: str, mark: str) -> None:
    assert normalize_company(mark.join(name.split())) == normalize_company(name)


@given(NAME)
def test_accents_do_not_matter(name: str) -> None:
    accented = name.replace("e", "é").replace("o", "ö").replace("u", "ü").replace("a", "à")
    assert normalize_company(accented) == normalize_company(name)


@given(NAME, NAME)
def test_different_words_stay_different(one: str, other: str) -> None:
    if one.split() != other.split():
        assert normalize_company(one) != normalize_company(other)


@given(st.text(max_size=60))
def test_any_text_gives_plain_ascii_words(text: str) -> None:
    form = normalize_company(text)
    assert form == form.strip() and "  " not in form
    assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in form)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("35012085", "35012085"),
        ("3501 2085", "35012085"),
        ("35.01.20.85", "35012085"),
        ("00000001", "00000001"),
        ("3501208", None),
        ("350120851", None),
        ("3501208x", None),
        ("١٢٣٤٥٦٧٨", None),  # Arabic-Indic digits: not a KvK number as the KvK writes it
        ("", None),
    ],
)
def test_kvk_numbers_are_eight_digits_nothing_more_is_checked(
    typed: str, expected: str | None
) -> None:
    assert normalize_kvk(typed) == expected
