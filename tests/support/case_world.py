"""The stores a case test works with, on one backend and one clock: accounts, reports
and cases, with the nudges cases hand to the service's queue collected in `news`."""

from __future__ import annotations

from storage.crypto.keys import KeyStore
from storage.repositories.accounts import Accounts
from storage.repositories.cases import Cases
from storage.repositories.reports import ReportStore
from tests.support.storage_backends import Backend, Clock


class World:
    def __init__(self, backend: Backend, keys: KeyStore) -> None:
        self.clock = Clock()
        self.keys = keys
        self.backend = backend
        self.accounts = Accounts(backend.sessions, keys, self.clock)
        self.reports = ReportStore(backend.sessions, keys, self.clock)
        self.news: list[str] = []  # what the service's nudge queue was handed
        self.cases = Cases(backend.sessions, keys.server, self.clock, news=self.news.append)
