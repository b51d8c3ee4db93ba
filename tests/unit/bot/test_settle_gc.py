"""bot/app/runtime.settle_garbage_collector: what starting made is out of the collector's walk."""

from __future__ import annotations

import gc

from bot.app.runtime import settle_garbage_collector


def test_objects_made_before_settling_are_frozen_and_later_ones_are_not() -> None:
    gc.unfreeze()
    made = [[i] for i in range(1000)]
    try:
        settle_garbage_collector()
        frozen = gc.get_freeze_count()
        later = [[i] for i in range(1000)]
        assert frozen >= len(made)
        assert gc.get_freeze_count() == frozen  # new objects are collected as before
        assert any(later[0] is o for o in gc.get_objects())
        assert not any(made[0] is o for o in gc.get_objects())
    finally:
        gc.unfreeze()
