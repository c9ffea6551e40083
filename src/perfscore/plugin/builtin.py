"""Built-in plugin: the default area scorer and the cross-cutting checks.

Registered through the same path as third-party plugins. The area scorer is ``trylast`` so
that an area plugin's own scorer wins.
"""

from __future__ import annotations

from perfscore.find import area_score_from_indicators
from perfscore.plugin.hookspecs import hookimpl
from perfscore.models import AreaScore
from perfscore.scoring.score import UnitScore


class BuiltinChecks:
    @hookimpl(trylast=True)
    def perfscore_score_area(self, area: str, unit: UnitScore) -> AreaScore | None:
        return area_score_from_indicators(unit, area)
