"""The built-in plugins: the scoring methods and the default area scorer.

Part of the plugin stage. Both are registered by :func:`perfscore.plugin.manager.make_host`
through the same call as third-party plugins (names ``methods`` and ``checks``), so the
built-ins travel the path every plugin does and can be listed, blocked or wrapped alike.
Both are ``trylast``: a plugin's own method list and an area plugin's own scorer come first.
"""

from __future__ import annotations

from typing import Callable

from perfscore.models import AreaScore
from perfscore.plugin.hookspecs import hookimpl
from perfscore.plugin.sdk import area_score_from_indicators
from perfscore.scoring.methods import BUILTIN_METHODS, ScoringMethod
from perfscore.scoring.score import UnitScore


class BuiltinMethods:
    """The built-in methods as a plugin, so they travel the same path as third-party ones."""

    @hookimpl(trylast=True)
    def perfscore_register_methods(self, register: Callable[[ScoringMethod], None]) -> None:
        for method in BUILTIN_METHODS:
            register(method)


class BuiltinChecks:
    """The default area scorer: any area, over the unit's indicator rows of that area."""

    @hookimpl(trylast=True)
    def perfscore_score_area(self, area: str, unit: UnitScore) -> AreaScore | None:
        return area_score_from_indicators(unit, area)
