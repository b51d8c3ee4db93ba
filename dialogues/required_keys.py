"""Which locale keys must exist, so a missing text stops start-up, not a conversation.

Keys built from the flow (ask_<step>, opt_<step>_<value>, sum_<step>) are derived from
it; the fixed ones the engine and the channels use are listed here.
"""

from __future__ import annotations

from dialogues.flow import Flow
from dialogues.types import EVENTS, FlowContext
from vocabulary import EVALUATION_SCORES, ReportStatus

LANGS = ("nl", "en")

ENGINE_KEYS = frozenset(
    {
        "kvk_invalid",
        "status_in_pattern",
        "btn_share_network",
        "btn_share_sbb",
        "share_allowed",
        "share_not_recorded",
        "welcome",
        "btn_privacy",
        *(f"lang_name_{lang}" for lang in LANGS),
        "story_more",
        "story_added",
        "story_more_then",
        "story_added_then",
        "story_empty",
        "story_rewrite",
        "btn_done",
        "btn_next",
        "btn_skip",
        "btn_back",
        "pick_one",
        "use_buttons",
        "recommended",
        "explain_line",
        "selected_mark",
        "summary",
        "sum_line",
        "sum_empty",
        "sum_story_cut",
        "btn_submit",
        "btn_submit_push",
        "summary_push_note",
        "pick_or_type",
        "btn_edit",
        "btn_stop",
        "ask_edit",
        "resume_or_restart",
        "btn_continue",
        "btn_restart",
        "receipt",
        "btn_receipt_saved",
        "btn_receipt_back",
        "receipt_taken",
        "filed",
        "btn_erase",
        "btn_keep",
        "kept",
        "ask_code",
        "code_format",
        "code_cancelled",
        *(f"status_{s}" for s in ReportStatus),
        "status_reference",
        "thread_head",
        "thread_cut",
        "thread_adviser",
        "thread_student",
        "thread_event",
        *(f"event_{e}" for e in EVENTS),
        "event_other",
        "status_actions",
        "btn_reply",
        "btn_withdraw",
        "btn_status_done",
        "status_done",
        "ask_reply",
        "btn_reply_cancel",
        "reply_cancelled",
        "reply_sent",
        "reply_expired",
        "reply_failed",
        "attachment_too_large",
        "attachment_not_now",
        "attachment_wrong_type",
        "attachment_unreadable",
        "withdraw_confirm",
        "btn_withdraw_yes",
        "btn_withdraw_no",
        "withdraw_ask_code",
        "withdraw_cancelled",
        "withdraw_done",
        "withdraw_expired",
        "status_not_found",
        "status_locked",
        "status_busy",
        "still_open",
        "help",
        "idle_help",
        "btn_go_report",
        "btn_go_status",
        "privacy",
        "ask_language",
        "language_set",
        "stopped",
        "nothing_to_stop",
        "unknown_command",
        "unsupported_media",
        "button_stale",
        "text_too_long",
        "error_try_again",
        # issue 12: feedback after a closed report
        "feedback_ask_score",
        *(f"btn_feedback_score_{n}" for n in EVALUATION_SCORES),
        "feedback_ask_text",
        "feedback_ask_quote",
        "btn_feedback_quote",
        "btn_feedback_private",
        "feedback_thanks",
        "feedback_already",
        "feedback_expired",
        "feedback_cancelled",
        # issue 11 (flow): the way back in, danger pause, the visit's open report, ...
        "btn_go_on",
        "pause_waiting",
        "btn_code_cancel",
        "unlock_expired",
        "status_expect",
        "status_expect_late",
        "status_unlocked",
        "status_done_open",
        "reply_sent_closed",
        "locked",
        "story_add",
        "btn_story_add",
        "btn_story_replace",
        "words_back",
        "thread_file",
        "status_done_draft",
    }
)

COMMANDS = ("start", "report", "status", "withdraw", "help", "privacy", "language", "stop")

# The web chat's own page texts (plain text, no HTML): the page's chrome and notes.
WEB_KEYS = frozenset(
    {
        "web_title",
        "web_heading",
        "web_tagline",
        "web_log_label",
        "web_bot",
        "web_you",
        "web_input_label",
        "web_input_placeholder",
        "web_send",
        "web_quick_exit",
        "web_quick_exit_hint",
        "web_typing",
        "web_connecting",
        "web_connection_lost",
        "web_reconnected",
        "web_session_ended",
        "web_not_sent",
        "web_bad_frame",
        "web_copy",
        "web_copied",
        "web_copy_failed",
        "web_noscript",
        "web_attach",
        "web_attach_hint",
        "web_file_too_large",
        "web_file_wrong_type",
        "web_file_label",
        "web_chars_left",
        "web_chars_over",
        "web_too_long",
        "web_send_parts",
        "web_keep_editing",
        "web_not_sent_mark",
        "web_returned",
        "web_pending_mark",
    }
)

# WhatsApp's own texts. Besides these, `wa_<label key>` may give any button label a
# WhatsApp-length version (bot/channels/whatsapp/labels.py); those are optional.
WHATSAPP_KEYS = frozenset(
    {
        "wa_list_button",
        "wa_pick_below",
        "wa_more_options",
        "wa_selected",
        "wa_recommended",
        "wa_privacy",
        "wa_erase_howto",
        "wa_delete_code",
    }
)
WHATSAPP_LABEL_PREFIX = "wa_"

# Telegram's own texts: what Telegram itself keeps, added to /privacy there only.
TELEGRAM_KEYS = frozenset({"tg_privacy"})

# For the channels: what they may look up through Engine.texts(lang).get(key).
CHANNEL_KEYS = frozenset(
    {
        "notify_new_report",
        "notify_handed_over",
        "notify_subject",
        "notify_console_link",
        # content-free notices the service sends outside a turn: {reference} and
        # {organization} for advisers, nothing at all for the student
        "notify_reminder",
        "notify_escalated_org",
        "notify_escalated_network",
        "notify_student_message",
        "notify_retention_warning",
        "notify_pattern_match",
        "notify_pattern_formed",
        "nudge_news",
        "error_try_again",
        "rate_limited",
        "edit_not_seen",
        "unsupported_media",
        "button_stale",
        "unknown_command",
        "text_too_long",
        "chat_erased",
        "chat_erase_failed",
        *(f"cmd_{c}" for c in COMMANDS),
        *WEB_KEYS,
        *WHATSAPP_KEYS,
        *TELEGRAM_KEYS,
    }
)


def flow_keys(flow: Flow, context: FlowContext) -> frozenset[str]:
    keys: set[str] = set()
    for step in flow.steps:
        keys.add(f"ask_{step.id}")
        if step.in_summary:
            keys.add(f"sum_{step.id}")
        keys.update(step.extra.values())
        options = step.options
        if step.options_from == "visibility":
            options = context.visibility
            keys.update(f"explain_{step.id}_{v}" for v in options)
        elif step.options_from == "schools":
            options = ("none",)
        elif step.options_from == "workplaces":
            options = ()
        keys.update(f"opt_{step.id}_{v}" for v in options)
    return frozenset(keys)


# The kinds of place a student can go besides this service (config.yaml's elsewhere:).
ELSEWHERE_KINDS = ("school", "sbb", "municipal", "national", "college", "police", "campaign")

# Typed answers ("did you mean?") and where else a student can go.
WORDS_KEYS = frozenset(
    {
        "confirm_guess",
        "btn_guess_yes",
        "btn_guess_no",
        "guess_declined",
        "network_unnamed",
        "elsewhere_head",
        "elsewhere_line",
        "elsewhere_phone",
        "elsewhere_web",
        "elsewhere_phone_web",
        "elsewhere_school_any",
        *(f"elsewhere_{kind}" for kind in ELSEWHERE_KINDS),
    }
)


# Engine buttons a synonym may name: syn_<value> (dots as underscores).
SYNONYM_BUTTONS = (
    "next",
    "skip",
    "done",
    "back",
    "guess_yes",
    "guess_no",
    "lang_nl",
    "lang_en",
    "resume_continue",
    "resume_restart",
)


def synonym_keys(flow: Flow, context: FlowContext) -> frozenset[str]:
    """The `syn_*` keys the engine looks up: optional, but no others may exist."""
    keys = {f"syn_{b}" for b in SYNONYM_BUTTONS}
    for step in flow.steps:
        options = step.options
        if step.options_from == "visibility":
            options = context.visibility
        elif step.options_from == "schools":
            options = ("none",)
        keys.update(f"syn_{step.id}_{v}" for v in options)
    return frozenset(keys)


def required_keys(flow: Flow, context: FlowContext) -> frozenset[str]:
    return ENGINE_KEYS | CHANNEL_KEYS | WORDS_KEYS | flow_keys(flow, context)
