"""Unit tests of escalation/: routing, the figures' arithmetic, the console's wording."""
