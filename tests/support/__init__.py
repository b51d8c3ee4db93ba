"""Helpers the tiers share: harnesses, drivers, stand-in wiring and recorded data. No tests."""
