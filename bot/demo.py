"""`stagemeld run --demo`: one ready-made adviser per organization, so a newcomer can
file a report in one browser tab and read it as the adviser in another.

Printed secrets are the point of a demo and the danger of one, so it runs only when
the web server listens on a loopback address.
"""

from __future__ import annotations

import ipaddress
import secrets

from bot.config import Settings
from bot.container import build_container, kdf_params
from storage.accounts import make_credentials
from storage.kdf_thread import in_kdf_thread


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def enrol_demo_advisers(settings: Settings) -> str:
    """Enrols the first adviser of every organization that has none yet; returns the
    text to print (passphrases and TOTP secrets — shown once, stored nowhere)."""
    container = await build_container(settings)
    lines = [
        "=" * 72,
        "DEMO ADVISERS — for trying stagemeld on this computer only.",
        f"Console: {settings.web.base_url}/console/login",
        "A login code: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"",
        "",
    ]
    try:
        for org in settings.organizations:
            if not org.advisers:
                continue
            adviser = org.advisers[0]
            if await container.advisers.has_key(adviser.id):
                lines.append(f"{org.name}: {adviser.email} — enrolled in an earlier demo run")
                continue
            passphrase = f"demo-{secrets.token_urlsafe(12)}"
            new = await in_kdf_thread(make_credentials, passphrase, kdf_params(settings))
            await container.accounts.enrol_directly(adviser.id, org.id, new)
            lines += [
                f"{org.name} ({adviser.role})",
                f"  e-mail:      {adviser.email or adviser.id}",
                f"  passphrase:  {passphrase}",
                f"  TOTP secret: {new.totp_secret}",
            ]
    finally:
        await container.close()
    lines.append("=" * 72)
    return "\n".join(lines)
