"""Rulesets: finding one by name or path, resolving its ``extends`` chain, fingerprinting it.

The first half of the load stage. A ruleset is found by path or by name
(``$PERFSCORE_RULESETS``, then the rulesets shipped with perfscore); its ``extends`` chain
is merged (arrays of tables by ``id``, ``[weights]`` replaced whole), contributions from
plugins are added through a plain callable the engine passes in (load knows nothing of
plugins), and the result is validated and fingerprinted. Its ``[[findings]]`` rules are
checked by the engine, which owns the rule sandbox.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from perfscore.errors import Problem, RulesetError, fill
from perfscore.files import read_toml
from perfscore.load.validation import validation_problems
from perfscore.models import Ruleset

DEFAULT_RULESET = "canlian"
#: arrays of tables merged by their ``id`` when a ruleset extends another
_MERGED_BY_ID = ("indicators", "findings")
#: tables a child replaces whole: merging weights key by key could mix two schemes
_REPLACED_WHOLE = ("weights",)

#: adds plugin-contributed entries to a resolved raw ruleset (the plugin host's
#: ``merge_contributions``), returning the new raw ruleset
Contribute = Callable[[dict[str, Any]], dict[str, Any]]


def ruleset_search_path() -> list[Path]:
    """Folders searched for a ruleset named without a path: ``$PERFSCORE_RULESETS``, then the shipped ones."""
    paths = [Path(entry) for entry in os.environ.get("PERFSCORE_RULESETS", "").split(os.pathsep) if entry]
    paths.append(Path(str(resources.files("perfscore") / "rulesets")))
    return paths


def find_ruleset(name_or_path: str, relative_to: Path | None = None) -> Path:
    """The file of a ruleset given by path or by name (beside ``relative_to`` first, for ``extends``)."""
    try:
        found = _find(name_or_path, relative_to)
    except (OSError, ValueError):  # a name too long for the system, or holding a NUL byte
        found = None
    if found is not None:
        return found
    available = sorted({path.stem for directory in ruleset_search_path() if directory.is_dir() for path in directory.glob("*.toml")})
    shown = name_or_path if len(name_or_path) <= 200 else name_or_path[:200] + "…"
    raise RulesetError(
        Problem(
            f"ruleset {shown!r} not found", expected=f"a TOML path or one of: {', '.join(available)}",
            key="ruleset_not_found", expected_key="expected_ruleset", fields=(("name", repr(shown)), ("available", ", ".join(available))),
        )
    )


def submission_ruleset(name_or_path: str, submission_file: Path) -> Path:
    """The file of the ruleset a submission names: a path resolves against the submission's
    folder (so ``table`` finds it from anywhere), a bare name on the search path."""
    candidate = Path(name_or_path)
    if not candidate.is_absolute() and (candidate.suffix == ".toml" or os.sep in name_or_path or "/" in name_or_path):
        beside = Path(submission_file).parent / candidate
        try:
            if beside.is_file():
                return beside
        except (OSError, ValueError):
            pass
        raise RulesetError(Problem(f"ruleset {name_or_path!r} not found beside the submission ({beside})", expected="a path relative to the submission's folder, an absolute path, or a ruleset name", key="ruleset_not_beside", expected_key="expected_ruleset_path", fields=fill(name=repr(name_or_path), beside=beside)))
    return find_ruleset(name_or_path)


def _find(name_or_path: str, relative_to: Path | None) -> Path | None:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or os.sep in name_or_path:
        if not candidate.is_absolute() and relative_to is not None and (relative_to / candidate).exists():
            return relative_to / candidate
        if candidate.exists():
            return candidate
    directories = ([relative_to] if relative_to else []) + ruleset_search_path()
    for directory in directories:
        path = directory / f"{candidate.stem if candidate.suffix == '.toml' else name_or_path}.toml"
        if path.is_file():
            return path
    return None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if key in _MERGED_BY_ID and isinstance(value, list) and isinstance(merged.get(key), list):
            by_id = {entry.get("id"): entry for entry in merged[key]}
            for entry in value:
                by_id[entry.get("id")] = _merge(by_id.get(entry.get("id"), {}), entry)
            merged[key] = list(by_id.values())
        elif isinstance(value, dict) and isinstance(merged.get(key), dict) and key not in _REPLACED_WHOLE:
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " → ".join(str(p.name) for p in (*chain, path))
        raise RulesetError(Problem(f"ruleset extends itself: {cycle}", file=str(path), key="ruleset_cycle", fields=(("cycle", str(cycle)),)))
    raw = read_toml(path)
    parents = _parents(raw, path)
    resolved: dict[str, Any] = {}
    for parent in parents:
        try:
            parent_path = find_ruleset(parent, path.parent)
        except RulesetError as error:
            # the child's key is where the fix goes: name it, with what was not found
            raise RulesetError([replace(problem, file=str(path), location="ruleset.extends", message=f"extends {problem.message}") for problem in error.problems]) from None
        resolved = _merge(resolved, _resolve_raw(parent_path, (*chain, path)))
    for entry in raw.get("indicators", []):
        if isinstance(entry, dict):
            entry.setdefault("source", path.name)
    merged = _merge(resolved, raw)
    merged.setdefault("ruleset", {})["extends"] = [str(parent) for parent in parents]
    return merged


def _parents(raw: dict[str, Any], path: Path) -> list[str]:
    """The ``extends`` of a raw ruleset, after checking that the file is a ruleset at all."""
    meta = raw.get("ruleset")
    if not isinstance(meta, dict):
        fmt = raw.get("format")
        if isinstance(fmt, str) and fmt.startswith("perfscore-submission"):
            reason, why = f"it is a submission (format = {fmt!r})", ("not_ruleset_submission", {"format": repr(fmt)})
        elif meta is None and ("unit" in raw or "projects" in raw):
            reason, why = "it looks like a submission ([unit], [[projects]]) and has no [ruleset] table", ("not_ruleset_looks_submission", {})
        elif meta is None:
            reason, why = "it has no [ruleset] table", ("not_ruleset_no_table", {})
        else:
            reason, why = f"its ruleset key is a {type(meta).__name__}, not the [ruleset] table", ("not_ruleset_wrong_type", {"type": type(meta).__name__})
        raise RulesetError(Problem(f"not a ruleset: {reason}", file=str(path), expected="a ruleset file with a [ruleset] table (id, name, version; docs/rulesets.md)", key="not_ruleset", expected_key="expected_ruleset_file", fields=fill(reason=[why])))
    parents = meta.get("extends", [])
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(parent, str) and parent for parent in parents):
        raise RulesetError(Problem(f"extends is {parents!r}"[:200], file=str(path), location="ruleset.extends", expected='a ruleset name or path, or a list of them (extends = "canlian" or extends = ["national", "hubei"])', key="bad_extends", expected_key="expected_extends", fields=fill(value=repr(parents)[:189])))
    # merging (by id) and the plugins' contributions (by area) read these shapes before the
    # schema sees them, so a wrong shape is named here rather than tripping them up
    for key in _MERGED_BY_ID:
        value = raw.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(entry, dict) for entry in value)):
            raise RulesetError(Problem(f"{key} is not an array of tables", file=str(path), location=key, expected=f"[[{key}]] entries, each a table with an id", key="not_array_of_tables", expected_key="expected_array_of_tables", fields=fill(key=key)))
        for position, entry in enumerate(value or ()):
            if not isinstance(entry.get("id"), str):
                raise RulesetError(Problem(f"id is {entry.get('id')!r}"[:200], file=str(path), location=f"{key}[{position}].id", expected="a text id, unique in the ruleset", key="bad_id", expected_key="expected_text_id", fields=fill(value=repr(entry.get("id"))[:194])))
    for key in ("areas", "templates"):
        value = raw.get(key)
        if value is not None and not (isinstance(value, dict) and all(isinstance(entry, dict) for entry in value.values())):
            raise RulesetError(Problem(f"{key} is not a table of tables", file=str(path), location=key, expected=f"[{key}.<id>] tables", key="not_table_of_tables", expected_key="expected_table_of_tables", fields=fill(key=key)))
    return parents


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        # 0.90 and 0.9 are the same rule: the print depends on values, not on how they were written
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in sorted(value.items())}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def fingerprint(raw: dict[str, Any]) -> str:
    """sha256 over the resolved rules (canonical JSON), so equal rules give equal prints."""
    body = {key: value for key, value in raw.items() if key not in ("fingerprint", "scoring_fingerprint")}
    text = json.dumps(_canonical(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: the settings that turn rows into points, and points into a grade: two rulesets that agree
#: on these score a unit's own rows alike, whatever library, aliases and checks they add
SCORING_KEYS = (
    "levels", "weights", "budget", "over_completion", "methods", "qualitative",
    "missing_targets", "not_applicable_redistribute", "grades", "arithmetic", "combine",
)


def scoring_fingerprint(ruleset: Ruleset) -> str:
    """sha256 over the scoring settings only (:data:`SCORING_KEYS`), defaults filled in, so a
    ruleset that only adds indicators, aliases, areas and finding rules to another prints alike."""
    body = ruleset.model_dump(include=set(SCORING_KEYS), mode="python")
    text = json.dumps(_canonical(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_ruleset(name_or_path: str | Path, contribute: Contribute | None = None) -> Ruleset:
    """Resolve, add contributed entries to (``contribute``), validate and fingerprint a ruleset."""
    path = name_or_path if isinstance(name_or_path, Path) else find_ruleset(name_or_path)
    raw = _resolve_raw(path)
    if contribute is not None:
        raw = contribute(raw)
    raw["fingerprint"] = fingerprint(raw)
    try:
        ruleset = Ruleset.model_validate(raw)
    except ValidationError as error:
        raise RulesetError(validation_problems(error, str(path), docs="docs/rulesets.md")) from None
    return ruleset.model_copy(update={"scoring_fingerprint": scoring_fingerprint(ruleset)})
