"""A stored unit scored again for its documents (:mod:`perfscore.web`): the report and the opinion as Word.

The store keeps what a unit handed in (its TOML text, or the submission read from its
workbook, as JSON) and the resolved rules it was scored by. The report and the bureau's
opinion are built from a full evaluation, so the web view scores that source again by the
stored rules (:func:`perfscore.scoring.score.score_submission`, then :func:`perfscore.find.find`)
and renders the result with :mod:`perfscore.narrate` and :func:`perfscore.output.docx.render_docx`.
The TOML text is read back through :mod:`perfscore.files` from a temporary folder and name
this module makes; nothing a request said is part of that path. The opinion carries the
reviewed score when reviewers have adjusted the unit.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from perfscore.engine import load_ruleset
from perfscore.find import Evaluation, find
from perfscore.load import load_submission
from perfscore.models import Ruleset, Submission
from perfscore.narrate.opinion import Review, build_opinion
from perfscore.narrate.report import build_report
from perfscore.output.docx import render_docx
from perfscore.plugin.manager import PluginHost
from perfscore.scoring.score import score_submission
from perfscore.store.database import Store
from perfscore.web.data import UnitPage, source_of


class Documents:
    """Builds a stored unit's Word documents with one plugin host (its calls one at a time)."""

    def __init__(self, store: Store, host: PluginHost):
        self.store = store
        self.host = host
        self._lock = threading.Lock()
        self._rulesets: dict[str, Ruleset] = {}

    def _ruleset(self, info_id: str, fingerprint: str, resolved: str) -> Ruleset:
        ruleset = self._rulesets.get(fingerprint)
        if ruleset is None:
            try:
                shipped = load_ruleset(info_id, self.host)
                ruleset = shipped if shipped.fingerprint == fingerprint else None
            except Exception:  # a ruleset no longer shipped: the stored one below
                ruleset = None
            if ruleset is None:
                ruleset = Ruleset.model_validate_json(resolved)
            self._rulesets[fingerprint] = ruleset
        return ruleset

    def evaluation(self, page: UnitPage) -> Evaluation:
        text, source_format, resolved = source_of(self.store, page.submission.id)
        name = page.submission.file_name
        with self._lock:
            ruleset = self._ruleset(page.info.id, page.info.fingerprint, resolved)
            if source_format == "toml":
                with tempfile.TemporaryDirectory(prefix="perfscore-web-") as folder:
                    path = Path(folder) / "submission.toml"
                    path.write_text(text, encoding="utf-8")
                    submission = load_submission(path)
            else:
                submission = Submission.model_validate_json(text)
            unit = score_submission(submission, ruleset, self.host.methods(), source=name)
            return find(unit, self.host)

    def report(self, page: UnitPage, lang: str) -> bytes:
        return render_docx(build_report(self.evaluation(page), lang))

    def opinion(self, page: UnitPage, lang: str) -> bytes:
        review = None
        if page.reviewed.adjustments and page.reviewed.total is not None:
            review = Review(page.reviewed.total, page.info.grade_for(page.reviewed.total))
        return render_docx(build_opinion(self.evaluation(page), lang, review=review))


__all__ = ["Documents"]
