"""Hydra callbacks: a progress bar over the jobs of a multirun.

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
from tqdm import tqdm

log = logging.getLogger("neurobridge")


class Progress(Callback):
    """A tqdm bar over the jobs, when they run in this process (Hydra's basic launcher)."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if not config.get("progress", True) or "BasicLauncher" not in str(config.hydra.launcher._target_):
            return
        from .launch import expand

        total = len(expand(list(config.hydra.overrides.task)))
        self.bar = tqdm(total=total, desc="jobs", unit="job", disable=None, file=sys.stderr)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(str(config.backend.name))
            self.bar.update(1)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __getstate__(self) -> dict[str, Any]:
        """Jobs sent to other processes (joblib, Ray, SLURM) carry no bar."""
        return {**self.__dict__, "bar": None}
