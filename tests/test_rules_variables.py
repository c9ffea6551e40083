"""The table of rule variables: what rules may name, what is filled and what is documented agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from perfscore.engine import Engine
from perfscore.plugin.manager import make_host
from perfscore.rules.variables import DOCS_BEGIN, DOCS_END, SCOPES, markdown
from perfscore.scoring.score import UnitScore

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "district-canlian-2022.toml"


@pytest.fixture(scope="module")
def seed_unit() -> UnitScore:
    return Engine(make_host(entry_points=False)).evaluate(SEED).unit


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_every_context_fills_exactly_the_scope_variables(scope, seed_unit):
    """Each scope's filler sets every name of the table's scope and no other."""
    subjects = SCOPES[scope].subjects(seed_unit)
    assert subjects, f"the seed has no {scope} subject to check"
    for context, _, _ in subjects:
        named = set(SCOPES[scope].names)
        for name in sorted(named):
            context[name]  # a deferred text is written when first read
        filled = set(context)
        assert filled == named, f"filled, not in the table: {sorted(filled - named)}; in the table, not filled: {sorted(named - filled)}"


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_every_variable_is_named_once_and_documented(scope):
    """No scope names a variable twice, and each variable says what it means."""
    names = [variable.name for variable in SCOPES[scope].variables]
    assert len(names) == len(set(names))
    assert all(variable.meaning.strip() for variable in SCOPES[scope].variables)


def test_docs_list_the_variables_as_the_table_does():
    """docs/plugins.md's list of rule variables is the text `python -m perfscore.rules` prints."""
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    start, end = docs.index(DOCS_BEGIN), docs.index(DOCS_END) + len(DOCS_END)
    assert docs[start:end] + "\n" == markdown(), "docs/plugins.md is stale: paste the output of `python -m perfscore.rules` over its list of rule variables"


def test_the_module_prints_the_docs_list():
    """`python -m perfscore.rules` prints the list docs/plugins.md holds."""
    printed = subprocess.run([sys.executable, "-m", "perfscore.rules"], capture_output=True, text=True, encoding="utf-8", check=True)
    assert printed.stdout == markdown()
    assert printed.stderr == ""


def test_deferred_texts_are_written_when_first_read(seed_unit):
    """A project's names and parts texts are not in its context until a rule reads one; then all are, with the values read."""
    context, _, _ = SCOPES["project"].subjects(seed_unit)[0]
    assert "missing_target_names" not in context and "self_difference_parts_en" not in context
    names = context["missing_target_names"]
    assert isinstance(names, str) and "missing_target_names_en" in context and "rows_short_names" in context
    assert context.filled()["missing_target_names"] == names
