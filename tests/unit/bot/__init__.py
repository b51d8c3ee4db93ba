"""Unit tests of bot/: settings, the channels' pure parts, media stripping, tokens."""
