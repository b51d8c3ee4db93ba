"""The `stagemeld` command line."""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app.container import Container
    from storage.crypto.private_keys import X25519PrivateKey

MIN_PASSPHRASE = 12


CONFIG_HELP = "config.yaml (its network: names the network's directory, network.yaml)"


def parser() -> argparse.ArgumentParser:
    """`--config` is accepted before the subcommand and after it (`stagemeld run --config
    x.yaml`): every subparser shares it with no default, so the top level's stands."""
    p = argparse.ArgumentParser(prog="stagemeld", description=__doc__)
    p.add_argument("--config", type=Path, default=Path("config.yaml"), help=CONFIG_HELP)
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=CONFIG_HELP)

    def commands(
        parent: argparse.ArgumentParser, dest: str
    ) -> Callable[..., argparse.ArgumentParser]:
        sub = parent.add_subparsers(dest=dest, required=True)
        return functools.partial(sub.add_parser, parents=[config])

    command = commands(p, "command")
    run = command("run", help="start the service")
    run.add_argument("--no-chat", action="store_true", help="no terminal chat without Telegram")
    run.add_argument(
        "--demo",
        action="store_true",
        help="enrol one demo adviser per organization (loopback addresses only)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N processes on this machine sharing the database and the web port",
    )
    run.add_argument("--replica", type=int, default=None, help=argparse.SUPPRESS)
    command("chat", help="talk to the bot in this terminal")
    command("check-config", help="validate config.yaml and its network.yaml, and exit")
    keys = commands(command("keys", help="server and recovery keys"), "keys_command")
    keys("init", help="create the server key and the recovery key pair")
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
    rec = command(
        "recover",
        help="re-seal reports to an enrolled adviser with the offline recovery key "
        "(docs/security.md, 'Orphans and the recovery key')",
    )
    rec.add_argument("--to", required=True, metavar="ADVISER_ID", help="an enrolled adviser")
    which = rec.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--report", nargs="+", action="extend", metavar="ID", help="report ids or SM- references"
    )
    which.add_argument(
        "--orphans", action="store_true", help="every report no enrolled adviser can read"
    )
    rec.add_argument(
        "--recovery-key-file",
        type=Path,
        metavar="PATH",
        help="read the recovery key from this file (default: a prompt that does not echo)",
    )
    rec.add_argument(
        "--force-org",
        action="store_true",
        help="also to an adviser of an organization the student's choice does not include",
    )
    audit = commands(command("audit", help="the audit log"), "audit_command")
    audit("verify", help="check the audit log's hash chain")
    patterns = commands(
        command("patterns", help="company patterns: the matching key"), "patterns_command"
    )
    patterns("rotate-key", help="add a newer matching key (docs/security.md, 'Company patterns')")
    retire = patterns("retire-key", help="shred an older matching key and its hashes")
    retire.add_argument("key_id", metavar="KEY_ID", help="e.g. k1 (see rotate-key's output)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "run" and args.workers < 1:
        print("stagemeld: --workers needs a number of processes, 1 or more", file=sys.stderr)
        return 2
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"stagemeld: config error: {exc}", file=sys.stderr)
        return 2
    from bot.app.logs import setup_logging

    setup_logging(settings.logging.level, settings.logging.file)
    if args.command == "run" and args.workers > 1 and not args.demo:
        from bot.app.workers import Supervisor, prepare

        asyncio.run(prepare(settings))
        return Supervisor(args.config, args.workers).run()
    return asyncio.run(_dispatch(args, settings))


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "check-config":
        print("config ok")
        return 0
    if args.command == "run":
        interactive = sys.stdin.isatty() and not args.no_chat and args.replica is None
        return await _run(settings, interactive=interactive, demo=args.demo, replica=args.replica)
    if args.command == "chat":
        return await _chat(settings)
    if args.command == "keys":
        return _keys_init(settings)
    if args.command == "audit":
        return await _audit_verify(settings)
    if args.command == "recover":
        return await _recover(settings, args)
    if args.command == "patterns":
        from bot.app import pattern_keys

        if args.patterns_command == "rotate-key":
            return pattern_keys.rotate_key(settings)
        return await pattern_keys.retire_key(settings, args.key_id)
    return await _adviser_add(settings, args.adviser, from_stdin=args.passphrase_stdin)


async def _run(
    settings: Settings, *, interactive: bool, demo: bool = False, replica: int | None = None
) -> int:
    from bot.app.runtime import install_signal_handlers, serve

    if demo:
        from bot.app.demo import enrol_demo_advisers, is_loopback

        if not is_loopback(settings.web.host):
            print(
                f"stagemeld: --demo prints passwords and runs only on a loopback address; "
                f"web.host is {settings.web.host}",
                file=sys.stderr,
            )
            return 2
        print(await enrol_demo_advisers(settings), flush=True)
    stop = asyncio.Event()
    install_signal_handlers(stop)
    await serve(settings, stop, interactive=interactive, replica=replica, settle_gc=True)
    return 0


async def _chat(settings: Settings) -> int:
    from bot.app.container import build_container
    from bot.app.wiring import turns
    from bot.channels.terminal import chat

    container = await build_container(settings)
    try:
        await chat(turns(container))
    finally:
        await container.close()
    return 0


def _keys_init(settings: Settings) -> int:
    from bot.app.container import hand_out_recovery_key, kdf_params
    from storage.crypto.keys import KeyStore

    try:
        _, recovery_private = KeyStore.init(settings.keys.dir, kdf_params(settings))
    except FileExistsError:
        print(
            f"stagemeld: keys already exist in {settings.keys.dir}; nothing changed",
            file=sys.stderr,
        )
        return 1
    written = hand_out_recovery_key(settings.keys.dir, recovery_private)
    if written is not None:
        print(
            f"keys created in {settings.keys.dir}; the recovery key is in {written} "
            "(no terminal to show it on): copy it offline, then delete that file"
        )
    return 0


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


async def _audit_verify(settings: Settings) -> int:
    """Walks the chain and compares its tail with the head anchored in keys.dir; prints
    the head (seq and the first 64 bits of its MAC) so it can be written down or sent."""
    from bot.app.container import build_container
    from storage.repositories import audit

    container = await build_container(settings)
    try:
        async with container.sessions() as session:
            verdict = await audit.verify(session, container.keys.server)
    finally:
        await container.close()
    anchor = verdict.anchor
    head = f"head: no. {anchor.head_seq}, {anchor.short()}" if anchor is not None else ""
    if verdict.ok:
        print(f"audit chain ok ({verdict.entries} entries)")
        if head:
            print(head)
        return 0
    if verdict.tail_cut:
        print(
            f"audit tail cut or rewritten ({verdict.reason}): the chain in the database "
            f"does not match the head anchored in keys.dir"
            + (f" (seq {anchor.anchored_seq})" if anchor and anchor.anchored_seq else "")
            + f"; {verdict.entries} entries check out among themselves",
            file=sys.stderr,
        )
    else:
        print(
            f"audit chain broken at seq {verdict.broken_seq} ({verdict.reason}); "
            f"{verdict.entries} entries before it check out",
            file=sys.stderr,
        )
    if head:
        print(head, file=sys.stderr)
    return 1


async def _recover(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.container import build_container
    from bot.app.recover import RecoverRefused, recover
    from bot.app.wiring import recovery

    recovery_private = _read_recovery_key(args.recovery_key_file)
    if recovery_private is None:
        return 2
    container = await build_container(settings)
    try:
        outcomes = await recover(
            recovery(container), recovery_private, args.to, args.report, force_org=args.force_org
        )
    except RecoverRefused as exc:
        print(f"stagemeld: {exc}; nothing changed", file=sys.stderr)
        return 2
    finally:
        await container.close()
    if not outcomes:
        print("no reports to re-seal (no orphans)")
    said = {
        "resealed": f"sealed to {args.to}",
        "already": f"already sealed to {args.to}; nothing changed",
        "not_found": "no such report (or erased)",
        "other_org": f"not sent: {args.to}'s organization is not one the student allowed "
        "(--force-org overrides)",
        "wrong_key": "the recovery key does not open it (not this installation's key?)",
        "adviser_key_not_authentic": f"not sent: {args.to}'s stored public key fails its "
        "check (changed in the database?); enrol them again with `stagemeld adviser add`",
        "consent_altered": "not sent: the student's choice of who may see it fails its check "
        "(changed in the database?); check with the student, then --force-org",
    }
    for outcome in outcomes:
        print(f"{outcome.reference or outcome.asked}: {said[outcome.result]}")
    return 0 if all(o.ok for o in outcomes) else 1


def _read_recovery_key(path: Path | None) -> X25519PrivateKey | None:
    """From the file, or a prompt that does not echo; never printed or logged, and an
    error never quotes it."""
    from storage.crypto.aead import CryptoError
    from storage.crypto.private_keys import private_key_from_text

    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"stagemeld: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return None
        # The file `run` or `keys init` wrote has a banner around the key's line.
        lines = [ln for ln in text.splitlines() if ln.lower().startswith("stagemeld-recovery")]
        text = lines[0] if lines else text
    elif sys.stdin.isatty():
        text = getpass.getpass("recovery key (not shown as you type): ")
    else:
        print(
            "stagemeld: no terminal to ask for the recovery key on; use --recovery-key-file",
            file=sys.stderr,
        )
        return None
    try:
        return private_key_from_text(text)
    except CryptoError:
        print(
            "stagemeld: that is not a recovery key, or it is mistyped (checksum)", file=sys.stderr
        )
        return None


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
