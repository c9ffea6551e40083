"""The progress bar of a batch: what a person at a terminal sees while many files score.

:mod:`perfscore.batch.run` reports each file done through a callback; this module draws
those counts on stderr, and only there: a batch piped to a file or run in a service
prints nothing. It knows nothing about scoring or tables.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from perfscore.messages import DEFAULT_LANGUAGE, catalogue, message

#: at or above this many files, a terminal gets a progress bar
PROGRESS_THRESHOLD = 200


class Progress:
    """A one-line progress bar on a terminal's stderr; silent anywhere else.

    Drawn at most ten times a second so that drawing never costs more than scoring.
    """

    def __init__(self, total: int, stream: TextIO | None = None, label: str = "scoring", force: bool | None = None, lang: str = DEFAULT_LANGUAGE):
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.label = label
        self.lang = lang
        self.done = 0
        interactive = force if force is not None else (hasattr(self.stream, "isatty") and self.stream.isatty())
        self.enabled = interactive and total >= PROGRESS_THRESHOLD
        self._started = time.monotonic()
        self._drawn = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn >= 0.1 or self.done >= self.total:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        width = 30
        filled = width * self.done // self.total if self.total else width
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        remaining = (self.total - self.done) / rate if rate > 0 else 0.0
        # A terminal status line, not an output: counts and rates are drawn as the
        # terminal shows them, never written to a table or report.
        key = f"progress.label_{self.label}"
        label = message(key, self.lang) if key in catalogue() else self.label
        line = message(
            "progress.line", self.lang, label=label, bar="#" * filled + "." * (width - filled),
            done=self.done, total=self.total, rate=f"{rate:,.0f}", remaining=f"{remaining:,.0f}",
        )
        self.stream.write(f"\r{line} ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()


__all__ = ["PROGRESS_THRESHOLD", "Progress"]
