"""`stagemeld keys init`: the server key and the recovery key pair."""

from __future__ import annotations

import argparse
import sys

from bot.app.cli.parsing import Command, commands
from bot.app.settings import Settings


def add(command: Command) -> None:
    keys = commands(command("keys", help="server and recovery keys"), "keys_command")
    keys("init", help="create the server key and the recovery key pair")


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return _keys_init(settings)


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
