"""Row statuses: how (or whether) an indicator row was assessed.

Set by the score stage (:mod:`.score`) on each :class:`~.score.IndicatorScore`, read by
the explanations (:mod:`.explain`, one rule and formula text a status), the find stage
and the report.
"""

from __future__ import annotations

SCORED, NOT_APPLICABLE, MISSING_TARGET, MISSING_ACTUAL = "scored", "not_applicable", "missing_target", "missing_actual"
#: a row cut off in a truncated source: its weight is known, its values are not, and nothing is invented
LOST = "lost"
#: the statuses whose weight counts as assessable points
ASSESSABLE = (SCORED, MISSING_ACTUAL)

__all__ = ["ASSESSABLE", "LOST", "MISSING_ACTUAL", "MISSING_TARGET", "NOT_APPLICABLE", "SCORED"]
