"""`stagemeld adviser add`: an adviser's one-time enrolment link, and their key if asked."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from bot.app.cli.parsing import Command, commands
from bot.app.settings import Settings

if TYPE_CHECKING:
    from bot.app.container import Container

MIN_PASSPHRASE = 12


def add(command: Command) -> None:
    adviser = commands(command("adviser", help="advisers' keys"), "adviser_command")
    add = adviser("add", help="print a one-time enrolment link for an adviser's console account")
    add.add_argument("--adviser", required=True, help="adviser id from the config")
    add.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="create the adviser's key now with a passphrase from standard input (reports "
        "are sealed to them from then on); prints the one-time link where the adviser sets "
        "up TOTP and gets their recovery code",
    )


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return await _adviser_add(settings, args.adviser, from_stdin=args.passphrase_stdin)


async def _adviser_add(settings: Settings, adviser_id: str, *, from_stdin: bool) -> int:
    from bot.app.container import build_container

    org = next(
        (
            o
            for o in settings.directory.organizations
            if any(a.id == adviser_id for a in o.advisers)
        ),
        None,
    )
    if org is None:
        print(
            f"stagemeld: no adviser {adviser_id} in the config; add them under "
            "organizations in network.yaml first",
            file=sys.stderr,
        )
        return 2
    passphrase = _read_passphrase(from_stdin) if from_stdin else ""
    if passphrase is None:
        return 2
    container = await build_container(settings)
    try:
        pending = await container.accounts.key_without_account(adviser_id)
        if pending and not from_stdin:
            return await _print_link(container, adviser_id, org.name)
        if await container.advisers.has_key(adviser_id):
            print(
                f"stagemeld: adviser {adviser_id} already has a key; a lost passphrase is "
                "reset with their recovery code at /console/recover",
                file=sys.stderr,
            )
            return 1
        if from_stdin:
            return await _enrol_now(container, adviser_id, org.id, org.name, passphrase)
        return await _print_link(container, adviser_id, org.name)
    finally:
        await container.close()


async def _print_link(container: Container, adviser_id: str, org_name: str) -> int:
    token = await container.accounts.create_link(adviser_id)
    if not isinstance(token, str):
        print(f"stagemeld: adviser {adviser_id} is already enrolled", file=sys.stderr)
        return 1
    hours = container.settings.console.enrol_link_hours
    print(f"enrolment link for {adviser_id} ({org_name}), valid {hours} hours, works once:")
    print(f"{container.settings.web.base_url}/console/enrol/{token}")
    return 0


async def _enrol_now(
    container: Container, adviser_id: str, org_id: str, org_name: str, passphrase: str
) -> int:
    """The key pair now, the account on the adviser's link: the operator sees neither the
    TOTP secret nor the recovery code, so a secret never passes through the operator's
    terminal."""
    from storage.crypto import hpke_seal, private_keys
    from storage.crypto.kdf_thread import in_kdf_thread

    private, public = hpke_seal.generate_keypair()
    protected = await in_kdf_thread(
        private_keys.protect_private_key, private, passphrase, container.keys.kdf
    )
    token = await container.accounts.key_with_link(adviser_id, org_id, public, protected)
    if not isinstance(token, str):
        print(f"stagemeld: adviser {adviser_id} is already enrolled", file=sys.stderr)
        return 1
    hours = container.settings.console.enrol_link_hours
    print(f"key created for adviser {adviser_id} ({org_name}); reports are sealed to it from now")
    print(
        f"send the adviser this one-time link (valid {hours} hours) and the passphrase, "
        "separately: there they choose their own passphrase, connect their authenticator "
        "app and receive their recovery code"
    )
    print(f"{container.settings.web.base_url}/console/enrol/{token}")
    return 0


def _read_passphrase(from_stdin: bool) -> str | None:
    if from_stdin:
        passphrase = sys.stdin.readline().rstrip("\n")
    else:
        passphrase = getpass.getpass("passphrase for the adviser: ")
        if getpass.getpass("again: ") != passphrase:
            print("stagemeld: the passphrases differ", file=sys.stderr)
            return None
    if len(passphrase) < MIN_PASSPHRASE:
        print(
            f"stagemeld: a passphrase needs at least {MIN_PASSPHRASE} characters", file=sys.stderr
        )
        return None
    return passphrase
