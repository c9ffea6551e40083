"""``perfscore new-plugin``: scaffold a plugin package that installs and scores unedited.

A tool beside the flow (called only by the cli): the package it writes imports nothing but
the public :mod:`perfscore` API, as any third-party plugin would.

The package has a pyproject with the ``perfscore`` entry point, a hookimpl module that
claims an area, registers its indicators and templates and scores the area, its
indicators TOML (written with tomli-w, so it is valid TOML whatever the names), its
templates TOML and a test. ``pip install -e <dir>`` and ``perfscore plugins`` lists it.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomli_w

from perfscore.errors import PerfscoreError, Problem, fill

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def names_for(name: str, area: str | None = None) -> dict[str, str]:
    """Distribution, module, entry-point, class and area names for a plugin NAME."""
    short = name.removeprefix("perfscore-").removeprefix("perfscore_")
    if not _NAME.match(short):
        raise PerfscoreError(Problem(f"plugin name {name!r} is not usable", expected="lower-case letters, digits, '-' or '_', starting with a letter", key="bad_plugin_name", expected_key="expected_plugin_name", fields=fill(name=repr(name))))
    snake = short.replace("-", "_")
    area = area or snake
    if not re.match(r"^[a-z][a-z0-9_]*$", area):
        raise PerfscoreError(Problem(f"area id {area!r} is not usable", expected="lower-case letters, digits or '_', starting with a letter", key="bad_area_id", expected_key="expected_area_id", fields=fill(area=repr(area))))
    return {
        "short": short,
        "distribution": f"perfscore-{short}",
        "module": f"perfscore_{snake}",
        "entry_point": snake,
        "class_name": "".join(part.capitalize() for part in snake.split("_")) + "Plugin",
        "area": area,
    }


def _pyproject(n: dict[str, str]) -> str:
    document = {
        "build-system": {"requires": ["setuptools>=64"], "build-backend": "setuptools.build_meta"},
        "project": {
            "name": n["distribution"],
            "version": "0.1.0",
            "description": f"perfscore plugin for the {n['area']} area",
            "requires-python": ">=3.11",
            "dependencies": ["perfscore"],
            "entry-points": {"perfscore": {n["entry_point"]: f"{n['module']}:{n['class_name']}"}},
        },
        "tool": {"setuptools": {"packages": {"find": {"where": ["src"]}}, "package-data": {n["module"]: ["*.toml", "py.typed"]}}},
    }
    return tomli_w.dumps(document)


def _indicators(n: dict[str, str]) -> str:
    area = n["area"]
    document = {
        "areas": {area: {"name": area, "name_en": area.replace("_", " ").capitalize(), "check_weight": 10, "min_people_served": 1}},
        "indicators": [
            {
                "id": f"{area}.people_served",
                "name": "服务人数",
                "name_en": "People served",
                "area": area,
                "level1": "output",
                "level2": "quantity",
                "unit": "人",
                "comparison": ">=",
            }
        ],
    }
    return tomli_w.dumps(document)


def _templates(n: dict[str, str]) -> str:
    area = n["area"]
    document = {
        "templates": {
            f"{area}.below_minimum": {
                "evidence": ["people", "minimum"],
                "title": "服务人数 {people} 低于 {minimum}",
                "title_en": "{people} served, below {minimum}",
                "problem": "本领域服务人数 {people}，低于规则集设定的最低 {minimum}。",
                "problem_en": "This area served {people}, below the ruleset's minimum of {minimum}.",
                "improvement": "分析原因并扩大服务覆盖。",
                "improvement_en": "Find out why and widen the service.",
            }
        }
    }
    return tomli_w.dumps(document)


_MODULE = '''"""perfscore plugin for the {area} area (scaffolded by ``perfscore new-plugin``).

Claims the area, registers its indicators and finding wording, scores the area over its
indicator rows plus one derived check (people served against the ruleset's
``[areas.{area}] min_people_served``), and reports a shortfall as a finding.
"""

from __future__ import annotations

from pathlib import Path

from perfscore import (
    AreaPlugin,
    Check,
    Finding,
    Measurement,
    UnitScore,
    at_least_check,
    figure,
    make_finding,
    quantity,
    setting,
)

__version__ = "0.1.0"
AREA = "{area}"
HERE = Path(__file__).parent


def measure(unit: UnitScore) -> tuple[list[Check], list[Finding]]:
    """The area's derived checks and findings; thresholds come from the ruleset."""
    measured = Measurement(unit, AREA)  # collects checks (weighed by check_weight) and findings
    people = figure(unit, f"{{AREA}}.people_served")
    minimum = setting(unit, AREA, "min_people_served")
    if people is not None and people.actual is not None and minimum is not None:
        if measured.weight is not None and not people.has_target:
            measured.check(at_least_check(f"{{AREA}}.minimum_met", people.actual, minimum, measured.weight))
        if people.actual < minimum:
            measured.findings.append(
                make_finding(
                    unit.ruleset, f"{{AREA}}.below_minimum", "warning",
                    {{"people": people.quantity(), "minimum": quantity(minimum, people.unit)}},
                    area=AREA, project=people.project, indicator=people.indicator,
                )
            )
    return measured.result


class {class_name}(AreaPlugin):
    """The {area} area: the hooks come from AreaPlugin, the domain logic from measure()."""

    area = AREA
    folder = HERE
    measure = staticmethod(measure)
'''

_TEST = '''"""The scaffolded plugin loads, claims its area and scores a small submission."""

from __future__ import annotations

from pathlib import Path

from perfscore import Engine, make_host

from {module} import {class_name}

SUBMISSION = """
format = "perfscore-submission/1"
ruleset = "canlian"
[unit]
id = "demo"
name = "示例单位"
year = 2022
[[projects]]
id = "demo"
name = "示例项目"
area = "{area}"
[[projects.funds]]
budget = 10
spending = 10
[[projects.indicators]]
indicator = "{area}.people_served"
target = 10
actual = 8
"""


def test_plugin_scores_its_area(tmp_path: Path) -> None:
    """The area is claimed by this plugin and scored over its row."""
    path = tmp_path / "demo.toml"
    path.write_text(SUBMISSION, encoding="utf-8")
    host = make_host(entry_points=False, extra=[("{entry_point}", {class_name}())])
    assert host.area_owners()["{area}"] == "{entry_point}"
    evaluation = Engine(host).evaluate(path)
    area = evaluation.areas["{area}"]
    assert area.source == "{entry_point}"
    assert area.score is not None and 0 < area.score < 100
    assert not evaluation.failures
'''


def new_plugin(name: str, directory: Path = Path("."), area: str | None = None) -> Path:
    """Write the plugin package ``perfscore-<name>`` under ``directory``; return its path."""
    n = names_for(name, area)
    root = Path(directory) / n["distribution"]
    if root.exists():
        raise PerfscoreError(Problem(f"{root} already exists", expected="a new folder; pick another name or --dir", key="already_exists", expected_key="expected_new_folder", fields=fill(path=root)))
    package = root / "src" / n["module"]
    package.mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(_pyproject(n), encoding="utf-8")
    (package / "__init__.py").write_text(_MODULE.format(**n), encoding="utf-8")
    (package / "indicators.toml").write_text(_indicators(n), encoding="utf-8")
    (package / "templates.toml").write_text(_templates(n), encoding="utf-8")
    (package / "py.typed").write_text("", encoding="utf-8")
    (root / "tests" / f"test_{n['module']}.py").write_text(_TEST.format(**n), encoding="utf-8")
    (root / "README.md").write_text(
        f"# {n['distribution']}\n\nA perfscore plugin for the `{n['area']}` area, made by `perfscore new-plugin`.\n\n"
        f"    pip install -e .\n    perfscore plugins\n    python -m pytest tests\n",
        encoding="utf-8",
    )
    return root
