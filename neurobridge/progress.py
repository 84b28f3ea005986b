"""Progress a person can read on a terminal: jobs done of total with an ETA, and a line per stage.

Lines, not a redrawn bar: Hydra and the jobs log between them, and a line survives that. Quiet
(prints nothing) when the stream is not a terminal, when the config says ``progress: false``, or
when the environment sets ``NEUROBRIDGE_PROGRESS=0``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

#: ``NEUROBRIDGE_PROGRESS=0`` silences progress whatever the config says.
ENVIRONMENT = "NEUROBRIDGE_PROGRESS"


def wanted(requested: bool, stream: TextIO | None = None) -> bool:
    """Progress is shown: asked for, not silenced by :data:`ENVIRONMENT`, and ``stream`` a terminal."""
    stream = stream or sys.stderr
    return requested and os.environ.get(ENVIRONMENT, "1") != "0" and bool(getattr(stream, "isatty", lambda: False)())


def duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s``, ``1 h 2 min``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


class Progress:
    """Jobs done of ``total`` with the time taken and an estimate of the time left; stages of the work after.

    Parameters
    ----------
    total
        How many jobs the command runs.
    enabled
        Print at all (see :func:`wanted`).
    stream
        Where the lines go (standard error by default).
    clock
        Seconds, for the elapsed time and the estimate.
    """

    def __init__(self, total: int = 0, enabled: bool = True, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.enabled, self.stream, self.clock = total, enabled, stream or sys.stderr, clock
        self.done = 0
        self.started = clock()

    def job_done(self, what: str = "") -> None:
        """One more job finished (``what`` says which)."""
        self.done += 1
        self._print(self.jobs_line() + (f": {what}" if what else ""))

    def jobs_line(self) -> str:
        """``jobs 3/12 (25%), 30 s elapsed, ETA 1 min 30 s``: the estimate assumes the jobs left take as long."""
        elapsed = self.clock() - self.started
        percent = 100 * self.done // self.total if self.total else 100
        left = self.total - self.done
        eta = "done" if left <= 0 else f"ETA {duration(elapsed / self.done * left)}" if self.done else "ETA unknown"
        return f"jobs {self.done}/{self.total} ({percent}%), {duration(elapsed)} elapsed, {eta}"

    def stage(self, text: str) -> None:
        """A stage of the work after the jobs (gathering, comparing, the report)."""
        self._print(text)

    def _print(self, text: str) -> None:
        if self.enabled:
            print(f"neurobridge: {text}", file=self.stream, flush=True)


__all__ = ["Progress", "wanted", "duration", "ENVIRONMENT"]
