"""The texts: both languages complete and alike, valid Telegram-HTML, every key the flow,
the engine and the channels use present, and a broken translation caught at start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from dialogues import Engine, FlowContext
from dialogues.required_keys import CHANNEL_KEYS, COMMANDS, ENGINE_KEYS, required_keys, synonym_keys
from dialogues.texts import LOCALES, Texts, check_html, lang_from_hint, load_texts, placeholders
from tests.support.dialogue_driver import CONTEXT, ENGINE


def _table(lang: str) -> dict[str, str]:
    data = yaml.safe_load((LOCALES / f"{lang}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


NL, EN = _table("nl"), _table("en")


def test_both_languages_have_the_same_keys() -> None:
    assert set(NL) - set(EN) == set(), "missing in en.yaml"
    assert set(EN) - set(NL) == set(), "missing in nl.yaml"


@pytest.mark.parametrize("key", sorted(NL))
def test_the_same_placeholders_in_both_languages(key: str) -> None:
    assert placeholders(NL[key]) == placeholders(EN[key])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_key_the_engine_flow_and_channels_use_exists(lang: str) -> None:
    table = _table(lang)
    missing = required_keys(ENGINE.flow, CONTEXT) - set(table)
    assert missing == set()


def test_no_text_is_left_unused() -> None:
    """A key nobody asks for is a text nobody maintains; keep the files honest."""
    used = required_keys(ENGINE.flow, CONTEXT) | {"opt_visibility_school_and_workplace"}
    used |= synonym_keys(ENGINE.flow, CONTEXT)
    flow_extras = {f"opt_{s.id}_{o}" for s in ENGINE.flow.steps for o in s.options}
    # WhatsApp-length labels (bot/channels/whatsapp/labels.py) shorten a label that exists.
    short_labels = {k for k in NL if k.startswith("wa_") and k[3:] in NL}
    assert set(NL) - used - flow_extras - short_labels == set()


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("key", sorted(NL))
def test_every_text_is_telegram_html_with_b_and_i_only(lang: str, key: str) -> None:
    check_html(_table(lang)[key])


IN_HTML_ONLY = {"sum_line", "sum_empty", "sum_story_cut"}


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_button_texts_are_plain(lang: str) -> None:
    """Button labels are not parsed as HTML: an entity would show as typed."""
    table = _table(lang)
    labels = [
        k
        for k in table
        if k.startswith(("btn_", "opt_", "lang_name_", "sum_")) and k not in IN_HTML_ONLY
    ]
    assert len(labels) > 40
    for key in [*labels, "recommended", "selected_mark"]:
        assert "<" not in table[key] and "&" not in table[key], key
        assert len(table[key]) <= 40, key


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("command", COMMANDS)
def test_command_descriptions_fit_telegram(lang: str, command: str) -> None:
    text = ENGINE.texts(lang).get(f"cmd_{command}")
    assert 1 <= len(text) <= 256


def test_channel_keys_are_listed_for_the_channels() -> None:
    for key in (
        "notify_new_report",
        "error_try_again",
        "rate_limited",
        "unsupported_media",
        "button_stale",
        "unknown_command",
        "text_too_long",
        "chat_erased",
        "chat_erase_failed",
        "cmd_start",
        "cmd_stop",
    ):
        assert key in CHANNEL_KEYS
    assert ENGINE_KEYS.isdisjoint({"notify_new_report"})


def test_the_adviser_notification_carries_no_content() -> None:
    text = ENGINE.texts("en").get("notify_new_report", reference="SM-1", organization="HHS")
    assert text == "New report SM-1 for HHS. Open the console to read it."
    assert placeholders(NL["notify_new_report"]) == {"reference", "organization"}


NOTICES = [
    "notify_new_report",
    "notify_reminder",
    "notify_escalated_org",
    "notify_escalated_network",
    "notify_student_message",
    "notify_retention_warning",
]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("key", NOTICES)
def test_adviser_notices_name_only_the_reference_and_organization(lang: str, key: str) -> None:
    assert key in CHANNEL_KEYS
    assert placeholders(_table(lang)[key]) == {"reference", "organization"}
    text = ENGINE.texts(lang).get(key, reference="SM-7", organization="HHS")
    assert "SM-7" in text and "HHS" in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_news_nudge_says_nothing_about_the_report(lang: str) -> None:
    assert "nudge_news" in CHANNEL_KEYS
    text = _table(lang)["nudge_news"]
    assert placeholders(text) == set() and "/status" in text


def test_withdraw_is_a_command_with_a_description() -> None:
    assert "withdraw" in COMMANDS and "cmd_withdraw" in CHANNEL_KEYS
    for table in (NL, EN):
        assert "/withdraw" in table["help"] and "/withdraw" in table["unknown_command"]


def test_every_event_has_words_that_name_nobody() -> None:
    from dialogues import EVENTS

    for table in (NL, EN):
        for code in EVENTS:
            assert f"event_{code}" in table
        for code in ("handover_colleague", "handover_org"):
            assert "SBB" not in table[f"event_{code}"]


def test_the_safety_help_lines_are_in_both_languages() -> None:
    for table in (NL, EN):
        for number in ("112", "0900-8844", "0900-0101", "0800-0113", "0800-0142"):
            assert number in table["safety_help"]


def test_dutch_is_the_informal_je_form() -> None:
    formal = [k for k, t in NL.items() if any(w in f" {t.lower()} " for w in (" u ", " uw "))]
    assert formal == []


def test_texts_for_a_channel_fall_back_to_dutch_for_unknown_languages() -> None:
    assert ENGINE.texts("tr").lang == "nl"
    assert ENGINE.texts("en-GB").lang == "en"
    assert lang_from_hint("EN-us") == "en" and lang_from_hint("") == "nl"


def test_a_text_a_translation_lacks_falls_back_to_dutch_unless_strict() -> None:
    nl = Texts("nl", {"a": "Hallo {name}"})
    en = Texts("en", {}, nl)
    assert en.get("a", name="Sam") == "Hallo Sam"
    with pytest.raises(KeyError):
        Texts("en", {}, None).get("a")
    with pytest.raises(KeyError):
        en.get("nowhere")


# --- broken locale files stop start-up -------------------------------------------------------


def _copy_locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES, target)
    return target


def _edit(directory: Path, lang: str, key: str, value: str | None) -> None:
    path = directory / f"{lang}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value is None:
        del data[key]
    else:
        data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    "bad",
    [
        "Klik <a href='x'>hier</a>",
        "<b>open",
        "</i>dicht",
        "A & B",
        "1 < 2",
        "<b><i>kruis</b></i>",
        "{ongelijk",
        "   ",
    ],
)
def test_bad_html_or_templates_stop_loading(tmp_path: Path, bad: str) -> None:
    directory = _copy_locales(tmp_path)
    _edit(directory, "en", "help", bad)
    with pytest.raises(ValueError, match="help"):
        load_texts(directory)


def test_other_placeholders_in_a_translation_stop_loading(tmp_path: Path) -> None:
    directory = _copy_locales(tmp_path)
    _edit(directory, "en", "receipt", "Your code: {kode} ({reference})")
    with pytest.raises(ValueError, match="receipt"):
        load_texts(directory)


def test_a_key_missing_in_dutch_stops_the_engine(tmp_path: Path) -> None:
    directory = _copy_locales(tmp_path)
    _edit(directory, "nl", "ask_when", None)
    with pytest.raises(ValueError, match="ask_when"):
        Engine(CONTEXT, locales_dir=directory)


def test_a_key_missing_in_english_falls_back_to_dutch(tmp_path: Path) -> None:
    directory = _copy_locales(tmp_path)
    _edit(directory, "en", "ask_when", None)
    engine = Engine(CONTEXT, locales_dir=directory)
    assert engine.texts("en").get("ask_when") == NL["ask_when"]
    strict = Engine(CONTEXT, locales_dir=directory, strict=True)
    with pytest.raises(KeyError):
        strict.texts("en").get("ask_when")


def test_a_visibility_choice_without_texts_stops_the_engine() -> None:
    with pytest.raises(ValueError, match="explain_visibility_parents"):
        Engine(FlowContext(schools=(), visibility=("school", "parents")))
