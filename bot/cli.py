"""The `stagemeld` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.services import Services

MIN_PASSPHRASE = 12


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stagemeld", description=__doc__)
    p.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the service")
    run.add_argument("--no-chat", action="store_true", help="no terminal chat without Telegram")
    run.add_argument(
        "--demo",
        action="store_true",
        help="enrol one demo adviser per organization (loopback addresses only)",
    )
    sub.add_parser("chat", help="talk to the bot in this terminal")
    sub.add_parser("check-config", help="validate the config and exit")
    keys = sub.add_parser("keys", help="server and recovery keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("init", help="create the server key and the recovery key pair")
    adviser = sub.add_parser("adviser", help="advisers' keys").add_subparsers(
        dest="adviser_command", required=True
    )
    add = adviser.add_parser(
        "add", help="print a one-time enrolment link for an adviser's console account"
    )
    add.add_argument("--adviser", required=True, help="adviser id from the config")
    add.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="enrol now with a passphrase from standard input (prints TOTP secret and "
        "recovery code) instead of printing a link",
    )
    audit = sub.add_parser("audit", help="the audit log").add_subparsers(
        dest="audit_command", required=True
    )
    audit.add_parser("verify", help="check the audit log's hash chain")
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
    from bot.service import install_signal_handlers, serve

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
    from bot.services import build_services
    from bot.terminal import chat
    from bot.turns import Turns

    services = await build_services(settings)
    try:
        await chat(Turns(services))
    finally:
        await services.close()
    return 0


def _keys_init(settings: Settings) -> int:
    from bot.services import kdf_params, recovery_banner
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
    from bot.services import build_services

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
    services = await build_services(settings)
    try:
        if await services.advisers.has_key(adviser_id):
            print(
                f"stagemeld: adviser {adviser_id} already has a key; a lost passphrase is "
                "reset with their recovery code at /console/recover",
                file=sys.stderr,
            )
            return 1
        if from_stdin:
            return await _enrol_now(services, adviser_id, org.id, org.name, passphrase)
        return await _print_link(services, adviser_id, org.name)
    finally:
        await services.close()


async def _print_link(services: Services, adviser_id: str, org_name: str) -> int:
    from bot.web.routes import accounts_for

    token = await accounts_for(services).create_link(adviser_id)
    if not isinstance(token, str):
        print(f"stagemeld: adviser {adviser_id} is already enrolled", file=sys.stderr)
        return 1
    hours = services.settings.console.enrol_link_hours
    print(f"enrolment link for {adviser_id} ({org_name}), valid {hours} hours, works once:")
    print(f"{services.settings.web.base_url}/console/enrol/{token}")
    return 0


async def _enrol_now(
    services: Services, adviser_id: str, org_id: str, org_name: str, passphrase: str
) -> int:
    from bot.services import kdf_params
    from bot.web.routes import accounts_for
    from storage.accounts import make_credentials
    from storage.kdf_thread import in_kdf_thread

    new = await in_kdf_thread(make_credentials, passphrase, kdf_params(services.settings))
    if await accounts_for(services).enrol_directly(adviser_id, org_id, new) is not None:
        print(f"stagemeld: adviser {adviser_id} is already enrolled", file=sys.stderr)
        return 1
    print(f"key created for adviser {adviser_id} ({org_name})")
    print(f"TOTP secret (add it to an authenticator app): {new.totp_secret}")
    print(f"recovery code (shown once; keep it offline): {new.recovery_code}")
    return 0


async def _audit_verify(settings: Settings) -> int:
    from bot.services import build_services
    from storage import audit

    services = await build_services(settings)
    try:
        async with services.sessions() as session:
            verdict = await audit.verify(session, services.keys.server)
    finally:
        await services.close()
    if verdict.ok:
        print(f"audit chain ok ({verdict.entries} entries)")
        return 0
    print(
        f"audit chain broken at seq {verdict.broken_seq} ({verdict.reason}); "
        f"{verdict.entries} entries before it check out",
        file=sys.stderr,
    )
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
