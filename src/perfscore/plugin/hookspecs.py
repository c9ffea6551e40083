"""Hook specifications: the whole plugin interface of perfscore.

The contract of the plugin stage, which runs after scoring and before find. A plugin is
any object or module with functions marked ``@perfscore.hookimpl`` whose names are among
these; pluggy calls them, so ``tryfirst``/``trylast`` and wrappers (``wrapper=True`` and
the old ``hookwrapper=True``) work as pluggy documents. Contribution hooks receive a
``register`` callback; the core validates what is registered and records which plugin gave
it, and two plugins giving the same id is an error naming both. Results never depend on the
order plugins were registered in: the core sorts everything it collects by id. See
docs/plugins.md for examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import pluggy

if TYPE_CHECKING:
    from perfscore.scoring.methods import ScoringMethod
    from perfscore.models import AreaScore, Finding
    from perfscore.scoring.score import UnitScore

hookspec = pluggy.HookspecMarker("perfscore")
#: the marker for implementations, re-exported as ``perfscore.hookimpl``
hookimpl = pluggy.HookimplMarker("perfscore")


@hookspec
def perfscore_register_indicators(register: Callable[[Path | Mapping[str, Any]], None]) -> None:
    """Contribute indicator definitions to every ruleset.

    Call ``register`` with a path to a TOML file holding ``[[indicators]]`` tables (and,
    optionally, ``[areas.<id>]`` defaults for the plugin's own area), or with one indicator
    as a mapping. Each indicator is validated like a ruleset's own; an id the ruleset or
    another plugin already defines is an error naming both sources.
    """


@hookspec
def perfscore_register_methods(register: Callable[[ScoringMethod], None]) -> None:
    """Contribute scoring methods, named from TOML with ``method = "<name>"``.

    Call ``register`` with a :class:`perfscore.ScoringMethod`. The built-in methods
    (``ratio``, ``lower_linear``, ``lower_inverse``, ``equal``, ``qualitative``, ``banded``,
    ``deduction``) are registered through this same hook.
    """


@hookspec
def perfscore_register_areas(register: Callable[[str], None]) -> None:
    """Claim the work areas (ids from the ruleset's ``[areas]``) this plugin scores.

    A claim is what ``perfscore plugins`` lists; two plugins claiming one area is an error.
    """


@hookspec
def perfscore_register_templates(register: Callable[[Path], None]) -> None:
    """Contribute finding wording: a TOML file of ``[templates.<finding id>]`` tables.

    Templates hold the zh and en title, problem and improvement text with ``{placeholders}``
    filled from the finding's evidence; a placeholder the template does not declare is an
    error at load.
    """


@hookspec(firstresult=True)
def perfscore_score_area(area: str, unit: UnitScore) -> AreaScore | None:
    """Score one work area of a scored unit (earned ÷ possible × 100 over its indicators).

    Return ``None`` for an area this plugin does not score. The core's default, registered
    ``trylast``, scores any area over the unit's indicator rows of that area.

    Stops at the first non-None result.
    """


@hookspec
def perfscore_findings(unit: UnitScore, areas: Mapping[str, AreaScore]) -> list[Finding] | None:
    """Emit findings for a scored unit: problems, warnings and notes, each with evidence.

    ``areas`` maps area id to its :class:`perfscore.AreaScore`. Build findings with
    :func:`perfscore.make_finding` so that their wording comes from templates.
    """
