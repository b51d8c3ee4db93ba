"""The student's feedback on the follow-up, asked once after a report is closed: a score
from 1 (bad) to 5 (good) in `reports.feedback_score`, and an optional text sealed to the
network's coordinators."""

from __future__ import annotations

FEEDBACK_SCORES = (1, 2, 3, 4, 5)
FEEDBACK_MAX_TEXT = 1000  # characters of "what could be better"
