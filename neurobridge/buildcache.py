"""A cache of generated and compiled artefacts (NESTML modules, NMODL mechanisms, ...).

Adapters that generate code build it once per *key* (a hash of everything
the artefact depends on: sources, tool and simulator versions, compiler,
flags) into ``<cache>/<kind>/<key>/``. A build runs under an OS lock (parallel
multirun jobs start together and the first builds while the others wait), in
a temporary folder that is renamed into place when it is complete, so a
folder in the cache is always whole. A failed build is remembered with its
stage and log, and reported again, without rebuilding, until its record is
removed.

The cache lives in ``$NEUROBRIDGE_CACHE``, else ``$XDG_CACHE_HOME/neurobridge``,
else ``~/.cache/neurobridge``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import NeurobridgeError

COMPLETE = ".complete"


class BuildError(NeurobridgeError, RuntimeError):
    """Generating or compiling an artefact failed; the message names what, the stage and the log."""


class BuildStageError(Exception):
    """Raised by a builder: ``stage`` failed (``generate``, ``cmake``, ``compile``, ...), ``log`` says why."""

    def __init__(self, stage: str, log: str) -> None:
        super().__init__(f"{stage} failed")
        self.stage, self.log = stage, log


@dataclass(frozen=True)
class Built:
    """A complete cache entry."""

    path: Path
    #: True when this call built it, False when it was in the cache.
    built_now: bool
    seconds: float


def cache_root() -> Path:
    """The cache folder (created on first use)."""
    configured = os.environ.get("NEUROBRIDGE_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "neurobridge"


def content_key(*parts: str | bytes) -> str:
    """A stable 20-hex-digit key over ``parts`` (order matters)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()[:20]


def build(kind: str, key: str, builder: Callable[[Path], None], what: str) -> Built:
    """The cache entry ``kind/key``, made by ``builder(folder)`` when it is not there yet.

    Parameters
    ----------
    kind
        The family of artefacts (``nestml``, ``nmodl``): a sub-folder of the cache.
    key
        The artefact's :func:`content_key`.
    builder
        Fills the (empty, temporary) folder it is given; raises :class:`BuildStageError` on failure.
    what
        What is built, for messages (``"NESTML module for izhikevich×current_exp"``).
    """
    folder = cache_root() / kind
    final = folder / key
    if (final / COMPLETE).is_file():
        return Built(final, False, 0.0)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / f".{key}.lock"):
        if (final / COMPLETE).is_file():  # built by another process while this one waited
            return Built(final, False, 0.0)
        _raise_remembered(folder, key, what)
        _remove_stale(folder, key)
        started = time.perf_counter()
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.{os.getpid()}.", dir=folder))
        try:
            builder(staging)
        except BuildStageError as failure:
            shutil.rmtree(staging, ignore_errors=True)
            raise _remember(folder, key, what, failure) from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        (staging / COMPLETE).write_text(json.dumps({"what": what, "key": key, "pid": os.getpid()}))
        shutil.rmtree(final, ignore_errors=True)  # an incomplete folder of an older layout
        os.rename(staging, final)
        return Built(final, True, time.perf_counter() - started)


def failure_record(kind: str, key: str) -> Path:
    """Where a failed build of ``kind/key`` is remembered (remove it to build again)."""
    return cache_root() / kind / f"{key}.failed.json"


def _raise_remembered(folder: Path, key: str, what: str) -> None:
    record = folder / f"{key}.failed.json"
    if record.is_file():
        data = json.loads(record.read_text())
        raise BuildError(f"{what}: the {data['stage']} stage failed before (log: {data['log']}); "
                         f"remove {record} to try again.")


def _remember(folder: Path, key: str, what: str, failure: BuildStageError) -> BuildError:
    log = folder / f"{key}.{failure.stage}.log"
    log.write_text(failure.log)
    record = folder / f"{key}.failed.json"
    record.write_text(json.dumps({"what": what, "stage": failure.stage, "log": str(log)}))
    tail = " | ".join(line.strip() for line in failure.log.strip().splitlines()[-3:])
    return BuildError(f"{what}: the {failure.stage} stage failed (log: {log}): {tail}")


def _remove_stale(folder: Path, key: str) -> None:
    """Temporary folders of builds whose process is gone (killed mid-build)."""
    for staging in folder.glob(f".{key}.*"):
        parts = staging.name.split(".")
        if staging.is_dir() and len(parts) >= 3 and parts[2].isdigit() and not _alive(int(parts[2])):
            shutil.rmtree(staging, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (released by the OS if the process dies)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["build", "content_key", "cache_root", "failure_record", "Built", "BuildError", "BuildStageError"]
