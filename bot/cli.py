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

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.container import Container

MIN_PASSPHRASE = 12


def parser() -> argparse.ArgumentParser:
    """`--config` is accepted before the subcommand and after it (`stagemeld run --config
    x.yaml`): every subparser shares it with no default, so the top level's stands."""
    p = argparse.ArgumentParser(prog="stagemeld", description=__doc__)
    p.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file")
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="config file")

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
    command("chat", help="talk to the bot in this terminal")
    command("check-config", help="validate the config and exit")
    keys = commands(command("keys", help="server and recovery keys"), "keys_command")
    keys("init", help="create the server key and the recovery key pair")
    adviser = commands(command("adviser", help="advisers' keys"), "adviser_command")
    add = adviser("add", help="print a one-time enrolment link for an adviser's console account")
    add.add_argument("--adviser", required=True, help="adviser id from the config")
    add.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="enrol now with a passphrase from standard input (prints TOTP secret and "
        "recovery code) instead of printing a link",
    )
    audit = commands(command("audit", help="the audit log"), "audit_command")
    audit("verify", help="check the audit log's hash chain")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"stagemeld: config error: {exc}", file=sys.stderr)
        return 2
    from bot.logs import setup_logging

    setup_logging(settings.logging.level, settings.logging.file)
    return asyncio.run(_dispatch(args, settings))


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "check-config":
        print("config ok")
        return 0
    if args.command == "run":
        interactive = sys.stdin.isatty() and not args.no_chat
        return await _run(settings, interactive=interactive, demo=args.demo)
    if args.command == "chat":
        return await _chat(settings)
    if args.command == "keys":
        return _keys_init(settings)
    if args.command == "audit":
        return await _audit_verify(settings)
    return await _adviser_add(settings, args.adviser, from_stdin=args.passphrase_stdin)


async def _run(settings: Settings, *, interactive: bool, demo: bool = False) -> int:
    from bot.runtime import install_signal_handlers, serve

    if demo:
        from bot.demo import enrol_demo_advisers, is_loopback

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
    await serve(settings, stop, interactive=interactive)
    return 0


async def _chat(settings: Settings) -> int:
    from bot.container import build_container
    from bot.terminal import chat
    from bot.turns import Turns

    container = await build_container(settings)
    try:
        await chat(Turns(container))
    finally:
        await container.close()
    return 0


def _keys_init(settings: Settings) -> int:
    from bot.container import kdf_params, recovery_banner
    from storage.keys import KeyStore

    try:
        _, recovery_private = KeyStore.init(settings.keys.dir, kdf_params(settings))
    except FileExistsError:
        print(
            f"stagemeld: keys already exist in {settings.keys.dir}; nothing changed",
            file=sys.stderr,
        )
        return 1
    print(recovery_banner(recovery_private))
    return 0


async def _adviser_add(settings: Settings, adviser_id: str, *, from_stdin: bool) -> int:
    from bot.container import build_container

    org = next(
        (o for o in settings.organizations if any(a.id == adviser_id for a in o.advisers)), None
    )
    if org is None:
        print(
            f"stagemeld: no adviser {adviser_id} in the config; add them under organizations first",
            file=sys.stderr,
        )
        return 2
    passphrase = _read_passphrase(from_stdin) if from_stdin else ""
    if passphrase is None:
        return 2
    container = await build_container(settings)
    try:
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
    from bot.container import kdf_params
    from storage.accounts import make_credentials
    from storage.kdf_thread import in_kdf_thread

    new = await in_kdf_thread(make_credentials, passphrase, kdf_params(container.settings))
    if await container.accounts.enrol_directly(adviser_id, org_id, new) is not None:
        print(f"stagemeld: adviser {adviser_id} is already enrolled", file=sys.stderr)
        return 1
    print(f"key created for adviser {adviser_id} ({org_name})")
    print(f"TOTP secret (add it to an authenticator app): {new.totp_secret}")
    print(f"recovery code (shown once; keep it offline): {new.recovery_code}")
    return 0


async def _audit_verify(settings: Settings) -> int:
    """Walks the chain and compares its tail with the head anchored in keys.dir; prints
    the head (seq and the first 64 bits of its MAC) so it can be written down or sent."""
    from bot.container import build_container
    from storage import audit

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


if __name__ == "__main__":
    raise SystemExit(main())
