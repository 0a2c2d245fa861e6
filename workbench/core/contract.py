"""The answer table's contract: its columns, the metrics it holds, and the words read as missing, yes and no."""

from __future__ import annotations

from workbench.core.metrics import SCALES

# Touchpoint key of overall (relationship) answers, e.g. a wide file's overall NPS; journey keys never start with "_".
OVERALL = "_overall"
METRICS = (*SCALES, "rating")
# A review's reply (the company's answer) and its time: free text like the comment, never a segment.
REPLY_COLUMNS = ("reply", "reply_ts")
SURVEY_COLUMNS = ("response_id", "respondent_id", "ts", "touchpoint", *METRICS, "comment", *REPLY_COLUMNS)
MISSING_WORDS = ("n/a", "na", "#n/a", "null", "nan", "-")
TRUE_WORDS = {"1", "true", "yes", "y", "ano", "a", "tak", "t", "retained"}
FALSE_WORDS = {"0", "false", "no", "n", "ne", "nie", "churned"}
