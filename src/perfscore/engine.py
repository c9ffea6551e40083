"""The pipeline for one submission: load → score → find.

The engine sits between find and the stages that present results (narrate, batch): it
only orchestrates. Callers that score many files (the batch) reuse one
:class:`~perfscore.plugin.manager.PluginHost` and a cache of resolved rulesets, so per-file
work is parsing, checking and scoring only.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from perfscore import load
from perfscore.errors import InputError, Problem, RulesetError, fill
from perfscore.find import Evaluation, find
from perfscore.limits import check_limits
from perfscore.load import DEFAULT_RULESET, check_against_ruleset, load_submission
from perfscore.models import Ruleset, Submission
from perfscore.plugin.manager import PluginHost
from perfscore.rules.validate import validate_rules
from perfscore.scoring.score import score_submission
from perfscore.scoring.weights import row_weights


def load_ruleset(name_or_path: str | Path, host: PluginHost | None = None) -> Ruleset:
    """A ruleset ready to run: resolved, with the plugins' contributions, and its
    ``[[findings]]`` rules and scoring methods checked, so that a bad rule or an unknown
    method fails here, once, by file and key, rather than when a unit is scored."""
    ruleset = load.load_ruleset(name_or_path, None if host is None else host.merge_contributions)
    file = str(name_or_path if isinstance(name_or_path, Path) else load.find_ruleset(name_or_path))
    validate_rules(ruleset, file)
    if host is not None:
        problems = _unknown_methods(ruleset, set(host.methods()), file)
        if problems:
            raise RulesetError(problems)
    return ruleset


def _unknown_methods(ruleset: Ruleset, known: set[str], file: str) -> list[Problem]:
    """Every method the ruleset names ([methods], an indicator's ``method``) that no plugin registered."""
    expected = f"a registered scoring method: {', '.join(sorted(known))} (perfscore plugins lists them)"
    problems = [
        Problem(f"unknown scoring method {method!r}", file, load.key_path(("methods", comparison)), expected, key="unknown_method", expected_key="expected_method", fields=fill(method=repr(method), known=", ".join(sorted(known))))
        for comparison, method in ruleset.methods.items()
        if method not in known
    ]
    for position, indicator in enumerate(ruleset.indicators):
        if indicator.method is not None and indicator.method not in known:
            # the library entry may come from a parent ruleset or a plugin: say which
            where = f"indicators[{position}].method (indicator {indicator.id}, from {indicator.source})"
            problems.append(Problem(f"unknown scoring method {indicator.method!r}", file, where, expected, key="unknown_method", expected_key="expected_method", fields=fill(method=repr(indicator.method), known=", ".join(sorted(known)))))
    return problems


def load_checked(path: Path, ruleset_name: str | None, host: PluginHost | None = None, ruleset: Ruleset | None = None) -> tuple[Submission, Ruleset]:
    """Load a submission and its ruleset, and run every check; raise with all problems."""
    submission = load_submission(path)
    if ruleset is None:
        if ruleset_name is None and submission.ruleset is not None:
            ruleset = load_ruleset(load.submission_ruleset(submission.ruleset, path), host)
        else:
            ruleset = load_ruleset(ruleset_name or DEFAULT_RULESET, host)
    problems = check_against_ruleset(submission, ruleset, str(path), row_weights)
    if problems:
        raise InputError(problems)
    return submission, ruleset


class Engine:
    """Scores submissions with one plugin host and cached rulesets."""

    def __init__(self, host: PluginHost, ruleset: str | None = None):
        # a bad limit setting is one error before any file, not a failure of every file
        check_limits()
        self.host = host
        self.ruleset_override = ruleset
        self._rulesets: dict[str, Ruleset] = {}
        # the ruleset a declaration names, by (declared name, submission's folder): finding
        # the file and resolving its real path cost more than parsing a unit did
        self._declared: dict[tuple[str | None, str], Ruleset] = {}

    def ruleset(self, name: str | Path) -> Ruleset:
        """A ruleset by name or file, resolved once per engine (files by their real path)."""
        key = str(name.resolve()) if isinstance(name, Path) else name
        if key not in self._rulesets:
            self._rulesets[key] = load_ruleset(name, self.host)
        return self._rulesets[key]

    def ruleset_name_for(self, declared: str | None) -> str:
        return self.ruleset_override or declared or DEFAULT_RULESET

    def ruleset_for(self, declared: str | None, submission_file: Path) -> str | Path:
        """What names a submission's ruleset: the override, the submission's own (a path
        resolved against its folder), or the default."""
        if self.ruleset_override is None and declared is not None:
            return load.submission_ruleset(declared, submission_file)
        return self.ruleset_name_for(declared)

    def check(self, path: Path) -> tuple[Submission, Ruleset]:
        """Load and validate without scoring; raise InputError with every problem."""
        submission = load_submission(path)
        declared = (submission.ruleset, os.path.dirname(path))
        ruleset = self._declared.get(declared)
        if ruleset is None:
            try:
                ruleset = self._declared[declared] = self.ruleset(self.ruleset_for(submission.ruleset, path))
            except RulesetError as error:
                if self.ruleset_override or submission.ruleset is None:
                    raise
                # the name came from the submission: say where
                raise RulesetError([replace(problem, file=problem.file or str(path), location=problem.location or "ruleset") for problem in error.problems]) from None
        problems = check_against_ruleset(submission, ruleset, str(path), row_weights)
        if problems:
            raise InputError(problems)
        return submission, ruleset

    def evaluate(self, path: Path) -> Evaluation:
        submission, ruleset = self.check(Path(path))
        unit = score_submission(submission, ruleset, self.host.methods(), source=str(path))
        return find(unit, self.host)
