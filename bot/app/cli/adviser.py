"""`stagemeld adviser add`: the operator's act that lets an adviser enrol.

Only this command (it holds keys.dir) makes an enrolment link the server accepts: the
row carries a MAC under a server sub-key. Whether the adviser ever held a key is read
from the audit chain, verified from its start and against its head in keys.dir — not
from `adviser_keys`, whose rows a database writer can delete. An adviser the chain
shows with a key gets a new key pair only with `--re-enrol`, the operator's explicit
approval, which the link's MAC carries to the server.
"""

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
    add.add_argument(
        "--re-enrol",
        action="store_true",
        help="approve a new key pair for an adviser who held one before (the audit log "
        "shows it; their key is no longer in the database): reports sealed to the old key "
        "stay unreadable to them until `stagemeld recover`",
    )


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return await adviser_add(
        settings, args.adviser, from_stdin=args.passphrase_stdin, reenrol=args.re_enrol
    )


async def adviser_add(
    settings: Settings, adviser_id: str, *, from_stdin: bool, reenrol: bool = False
) -> int:
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
    passphrase = read_passphrase(from_stdin) if from_stdin else ""
    if passphrase is None:
        return 2
    container = await build_container(settings)
    try:
        pending = await container.accounts.key_without_account(adviser_id)
        if pending and not from_stdin:
            return await _print_link(container, adviser_id, org.name, reenrol=False)
        if await container.advisers.has_key(adviser_id):
            print(
                f"stagemeld: adviser {adviser_id} already has a key; a lost passphrase is "
                "reset with their recovery code at /console/recover",
                file=sys.stderr,
            )
            return 1
        if not reenrol and not await _never_held_a_key(container, adviser_id):
            return 1
        if from_stdin:
            return await _enrol_now(
                container, adviser_id, org.id, org.name, passphrase, reenrol=reenrol
            )
        return await _print_link(container, adviser_id, org.name, reenrol=reenrol)
    finally:
        await container.close()


async def _never_held_a_key(container: Container, adviser_id: str) -> bool:
    """The verified audit chain shows no key pair ever stored for this adviser; if it
    does, or cannot be trusted, say why and what `--re-enrol` would do."""
    from storage.repositories import audit, audit_enrolments

    async with container.sessions() as session:
        verdict = await audit.verify(session, container.keys.server)
        held = await audit_enrolments.first_key_entry(session, adviser_id)
    again = (
        f"a new key pair for them leaves reports sealed to an old one unreadable to them "
        f"until `stagemeld recover --to {adviser_id}`; if that is what you mean, run this "
        "again with --re-enrol"
    )
    if not verdict.ok:
        print(
            f"stagemeld: the audit chain does not check out ({verdict.reason} at seq "
            f"{verdict.broken_seq}; see `stagemeld audit verify`), so it cannot tell whether "
            f"adviser {adviser_id} held a key before; {again}",
            file=sys.stderr,
        )
        return False
    if held is not None:
        print(
            f"stagemeld: adviser {adviser_id} held a key (audit entry no. {held}) that is no "
            f"longer in the database (removed?); {again}",
            file=sys.stderr,
        )
        return False
    return True


async def _print_link(
    container: Container, adviser_id: str, org_name: str, *, reenrol: bool
) -> int:
    token = await container.accounts.create_link(adviser_id, reenrol=reenrol)
    if not isinstance(token, str):
        print(f"stagemeld: adviser {adviser_id} is already enrolled", file=sys.stderr)
        return 1
    hours = container.settings.console.enrol_link_hours
    kind = "re-enrolment" if reenrol else "enrolment"
    print(f"{kind} link for {adviser_id} ({org_name}), valid {hours} hours, works once:")
    print(f"{container.settings.web.base_url}/console/enrol/{token}")
    return 0


async def _enrol_now(
    container: Container,
    adviser_id: str,
    org_id: str,
    org_name: str,
    passphrase: str,
    *,
    reenrol: bool,
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
    token = await container.accounts.key_with_link(
        adviser_id, org_id, public, protected, reenrol=reenrol
    )
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


def read_passphrase(from_stdin: bool) -> str | None:
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
