"""Unit tests of vocabulary/: receipt codes, companies and the other shared words."""
