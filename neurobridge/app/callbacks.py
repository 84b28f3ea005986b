"""Hydra callbacks: a line per finished job of a multirun, with jobs done/total and an ETA.

The gathering at the end of a multirun is not a callback: Hydra may swallow a callback's
errors, so :func:`neurobridge.app.launch.run` gathers after Hydra returns.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from hydra.core.utils import JobReturn
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from ..progress import Progress as Lines
from ..progress import wanted

log = logging.getLogger("neurobridge")


class Progress(Callback):
    """Jobs done of total with an ETA (:class:`neurobridge.progress.Progress`), when the jobs run in this
    process (Hydra's basic launcher) and standard error is a terminal."""

    def __init__(self) -> None:
        self.lines: Lines | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if "BasicLauncher" not in str(config.hydra.launcher._target_):
            return
        if not wanted(bool(config.get("progress", True)), sys.stderr):
            return
        from .launch import expand

        self.lines = Lines(len(expand(list(config.hydra.overrides.task))))

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if self.lines is not None:
            overrides = " ".join(o for o in config.hydra.overrides.task if not o.startswith("experiment=generic"))
            self.lines.job_done(overrides)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        self.lines = None

    def __getstate__(self) -> dict[str, Any]:
        """Jobs sent to other processes (joblib, Ray, SLURM) carry no progress."""
        return {**self.__dict__, "lines": None}
