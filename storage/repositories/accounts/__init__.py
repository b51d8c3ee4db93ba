"""Advisers' console accounts: one-time enrolment links, login, lock-out, recovery.

`Accounts` is the repository the console and the command line hold; each concern is a
module of its own, and `Accounts` is all of them on the same settings:
- `credentials`: the values (`NewCredentials`, `LoggedIn`, `LoginRefused`) and making
  new credentials;
- `shared`: settings, the sealed TOTP secret, unlocking a protected key;
- `lockout`: the account-wide count of failed attempts, and the lock;
- `enrolment`: links, first credentials, storing key pair and account;
- `login`: passphrase and TOTP, and logging out;
- `recovery`: the recovery code, and new credentials for the same key pair.
"""

from __future__ import annotations

from storage.repositories.accounts.enrolment import Enrolling
from storage.repositories.accounts.login import LoggingIn
from storage.repositories.accounts.recovery import Recovering


class Accounts(Enrolling, LoggingIn, Recovering):
    """An adviser's account from enrolment to recovery (see the modules above)."""
