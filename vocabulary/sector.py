"""The sector of the internship: an optional coded answer in the report (`reports.sector`),
counted in the network's figures. The flow's options (`dialogues/flows/report.yaml`) and
what storage accepts are this list; the words for each live in the locale files
(`opt_sector_<code>`) and in the console's."""

from __future__ import annotations

SECTORS = (
    "care",
    "technology",
    "ict",
    "trade",
    "hospitality",
    "business",
    "education",
    "public_sector",
    "other",
)
