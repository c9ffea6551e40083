"""The architecture stays as docs/architecture.md draws it: layers, one formatter, one catalogue."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "perfscore"
SOURCES = sorted([*PACKAGE.rglob("*.py"), *(ROOT / "plugins").glob("*/src/**/*.py")])
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def _modules_of_layer(layer: str) -> list[str]:
    return [name.strip() for name in layer.split("|")]


def test_no_import_against_the_data_flow() -> None:
    """Every import-linter contract in pyproject.toml is kept (type-only imports count too)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")  # installed with the test extras
    result = subprocess.run([str(lint_imports), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr  # names each offending import


def test_every_module_sits_in_a_layer() -> None:
    """Each top-level module or subpackage of perfscore belongs to one layer of the flow contract."""
    flow = next(c for c in CONTRACTS["contracts"] if c["name"].startswith("Stages"))
    layered = {name for layer in flow["layers"] for name in _modules_of_layer(layer)}
    top_level = {f"perfscore.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    top_level |= {f"perfscore.{path.parent.name}" for path in PACKAGE.glob("*/__init__.py")}
    assert top_level == layered


def test_the_architecture_map_names_every_layer() -> None:
    """docs/architecture.md's layer table lists exactly the layers of the contract, in order."""
    flow = next(c for c in CONTRACTS["contracts"] if c["name"].startswith("Stages"))
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [re.findall(r"`([a-z_.]+)`", line.split("|")[1]) for line in table.splitlines() if line.startswith("| `")]
    expected = [[name.removeprefix("perfscore.") for name in _modules_of_layer(layer)] for layer in flow["layers"]]
    assert rows == expected


@pytest.mark.parametrize("path", [p for p in SOURCES if p.parent != PACKAGE / "messages"], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_language_branching_outside_the_catalogue(path: Path) -> None:
    """No module but perfscore.messages compares a language or keeps a 'zh' flag."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"lang\s*[!=]=|[!=]=\s*lang\b|\bzh\s*=\s*lang\b|if zh else", text)


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name != "numbers.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_money_is_converted_only_by_the_number_formatter(path: Path) -> None:
    """No module but perfscore.numbers converts between 元 and 万元 by hand."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scalings = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.BinOp)
        and isinstance(node.op, (ast.Mult, ast.Div))
        and any(isinstance(side, ast.Constant) and side.value in (10000, 10_000.0, "10000", 0.0001) for side in (node.left, node.right))
    ]
    assert not scalings, f"hand conversion of money at lines {scalings}: use perfscore.numbers"


def test_every_module_says_its_place_in_the_flow() -> None:
    """Each module of perfscore starts with a docstring."""
    missing = [str(path.relative_to(ROOT)) for path in PACKAGE.rglob("*.py") if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert not missing
