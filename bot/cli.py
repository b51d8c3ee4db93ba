"""The `stagemeld` command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings

MIN_PASSPHRASE = 12


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stagemeld", description=__doc__)
    p.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the service")
    run.add_argument("--no-chat", action="store_true", help="no terminal chat without Telegram")
    sub.add_parser("chat", help="talk to the bot in this terminal")
    sub.add_parser("check-config", help="validate the config and exit")
    keys = sub.add_parser("keys", help="server and recovery keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("init", help="create the server key and the recovery key pair")
    adviser = sub.add_parser("adviser", help="advisers' keys").add_subparsers(
        dest="adviser_command", required=True
    )
    add = adviser.add_parser("add", help="create an adviser's key pair")
    add.add_argument("--adviser", required=True, help="adviser id from the config")
    add.add_argument(
        "--passphrase-stdin", action="store_true", help="read the passphrase from standard input"
    )
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
        return await _run(settings, interactive=sys.stdin.isatty() and not args.no_chat)
    if args.command == "chat":
        return await _chat(settings)
    if args.command == "keys":
        return _keys_init(settings)
    return await _adviser_add(settings, args.adviser, from_stdin=args.passphrase_stdin)


async def _run(settings: Settings, *, interactive: bool) -> int:
    from bot.service import install_signal_handlers, serve

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
    from bot.services import build_services, kdf_params
    from storage.crypto import generate_keypair, protect_private_key

    org = next(
        (o for o in settings.organizations if any(a.id == adviser_id for a in o.advisers)), None
    )
    if org is None:
        print(
            f"stagemeld: no adviser {adviser_id} in the config; add them under organizations first",
            file=sys.stderr,
        )
        return 2
    passphrase = _read_passphrase(from_stdin)
    if passphrase is None:
        return 2
    services = await build_services(settings)
    try:
        if await services.advisers.has_key(adviser_id):
            print(f"stagemeld: adviser {adviser_id} already has a key", file=sys.stderr)
            return 1
        private, public = generate_keypair()
        protected = await asyncio.to_thread(
            protect_private_key, private, passphrase, kdf_params(settings)
        )
        await services.advisers.register(adviser_id, org.id, public, protected)
    finally:
        await services.close()
    print(f"key created for adviser {adviser_id} ({org.name})")
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


if __name__ == "__main__":
    raise SystemExit(main())
