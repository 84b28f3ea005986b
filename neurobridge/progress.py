"""Progress a person can read on a terminal: jobs done of total with an ETA, and a line per stage.

Lines, not a redrawn bar: Hydra and the jobs log between them, and a line survives that. Quiet
(prints nothing) when the stream is not a terminal, when the config says ``progress: false``, or
when the environment sets ``NEUROBRIDGE_PROGRESS=0``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import time
from collections.abc import Callable, Iterator
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


class SimulationProgress:
    """Simulated time over the total, fed by a backend's own loop (:func:`simulated`).

    Quiet for the first ``after`` seconds (a short run prints nothing), then a line at most every
    ``period`` seconds: ``simulated 250 of 1000 ms (25%), 6 s elapsed, ETA 18 s``.
    """

    def __init__(self, total_ms: float, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 after: float = 3.0, period: float = 5.0) -> None:
        self.total_ms, self.stream, self.clock = total_ms, stream or sys.stderr, clock
        self.after, self.period = after, period
        self.started = clock()
        self.last = self.started - period
        self.lines = 0

    def at(self, t_ms: float) -> None:
        now = self.clock()
        elapsed = now - self.started
        if elapsed < self.after or now - self.last < self.period or t_ms <= 0:
            return
        self.last = now
        self.lines += 1
        fraction = min(1.0, t_ms / self.total_ms) if self.total_ms > 0 else 1.0
        eta = f"ETA {duration(elapsed / fraction * (1 - fraction))}" if fraction < 1 else "done"
        print(f"neurobridge: simulated {t_ms:.0f} of {self.total_ms:.0f} ms ({100 * fraction:.0f}%), "
              f"{duration(elapsed)} elapsed, {eta}", file=self.stream, flush=True)


_SIMULATION: contextvars.ContextVar[SimulationProgress | None] = contextvars.ContextVar("simulation", default=None)


@contextlib.contextmanager
def reporting(total_ms: float, enabled: bool, **settings: object) -> Iterator[SimulationProgress | None]:
    """Within the block, :func:`simulated` reports to a :class:`SimulationProgress` (when ``enabled``)."""
    reporter = SimulationProgress(total_ms, **settings) if enabled else None  # type: ignore[arg-type]
    token = _SIMULATION.set(reporter)
    try:
        yield reporter
    finally:
        _SIMULATION.reset(token)


def reporter() -> SimulationProgress | None:
    """The active simulation reporter, if any (adapters with a loop of their own hand it over or call
    :func:`simulated`; NEST and Brian2 switch on their own reporting)."""
    return _SIMULATION.get()


def simulated(t_ms: float) -> None:
    """A backend's loop has simulated ``t_ms``: reported when a reporter is active, else nothing."""
    active = _SIMULATION.get()
    if active is not None:
        active.at(t_ms)


__all__ = ["Progress", "SimulationProgress", "wanted", "duration", "reporting", "reporter", "simulated",
           "ENVIRONMENT"]
