"""Unit tests of dialogues/: the pure conversation engine and its texts."""
