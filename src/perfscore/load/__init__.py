"""Load stage: TOML files → validated :mod:`perfscore.models`.

The first stage of the data flow (docs/architecture.md). :mod:`.rulesets` finds a ruleset,
merges its ``extends`` chain and the contributions passed in, validates and fingerprints
it; :mod:`.submissions` reads a submission, validates it against the schema and checks it
against its ruleset; :mod:`.validation` turns schema errors into located problems. Load
imports nothing above the models: plugin contributions and derived row weights come in as
plain callables from the engine.
"""

from __future__ import annotations

from perfscore.load.rulesets import (
    DEFAULT_RULESET,
    Contribute,
    find_ruleset,
    fingerprint,
    load_ruleset,
    ruleset_search_path,
)
from perfscore.load.submissions import RowWeights, check_against_ruleset, load_submission, submission_from_raw
from perfscore.load.validation import key_path, validation_problems

__all__ = [
    "DEFAULT_RULESET",
    "Contribute",
    "RowWeights",
    "check_against_ruleset",
    "find_ruleset",
    "fingerprint",
    "key_path",
    "load_ruleset",
    "load_submission",
    "ruleset_search_path",
    "submission_from_raw",
    "validation_problems",
]
