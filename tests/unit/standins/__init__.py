"""Unit tests of standins/: the WhatsApp stand-in's copy of Meta's spec."""
