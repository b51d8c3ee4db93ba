"""`stagemeld recover`: re-seal reports to an enrolled adviser with the recovery key."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.cli.parsing import Command
from bot.app.settings import Settings

if TYPE_CHECKING:
    from storage.crypto.private_keys import X25519PrivateKey


def add(command: Command) -> None:
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


async def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    return await _recover(settings, args)


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
