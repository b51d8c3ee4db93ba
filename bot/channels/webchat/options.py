"""What the web chat reads of the `web:` settings, as a protocol of its own.

The settings section is handed in by `bot/app` (the wiring); the channel names only the
values it uses, so it never imports the settings, and a test may hand in any object
that has them.
"""

from __future__ import annotations

from typing import Protocol


class WebOptions(Protocol):
    @property
    def public_url(self) -> str | None:
        """The address people type (https:// behind a proxy): same-origin checks."""

    @property
    def quick_exit_url(self) -> str:
        """The neutral site the quick exit replaces the page with."""

    @property
    def messages_per_minute(self) -> int:
        """The flood bound per browser session."""

    @property
    def max_text_chars(self) -> int:
        """The longest text frame taken."""

    @property
    def max_file_bytes(self) -> int:
        """The largest file a student may add to an answer."""

    @property
    def file_types(self) -> tuple[str, ...]:
        """The kinds of file taken: jpeg, png, pdf."""

    @property
    def trusted_proxies(self) -> tuple[str, ...]:
        """Proxies whose X-Forwarded-For is believed."""
