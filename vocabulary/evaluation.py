"""The student's evaluation of the follow-up, asked once after a report is closed: a
score from 1 (bad) to 5 (good) in `reports.evaluation_score`, and an optional text
sealed to the network's coordinators.

Not the directive's "feedback": that is the adviser's first response to a report, a
deadline (`reports.first_feedback_at`); see docs/glossary.md."""

from __future__ import annotations

EVALUATION_SCORES = (1, 2, 3, 4, 5)
EVALUATION_MAX_TEXT = 1000  # characters of "what could be better"
