"""Results: tidy pandas tables and run metadata, Parquet on disk.

``Result.spikes`` has one row per spike (``population, neuron, time_ms``);
``Result.states`` one row per sample (``population, neuron, time_ms,
variable, value``); ``Result.meta`` says which backend ran what, how big it
was and how long it took. ``Result.save`` writes ``spikes.parquet``,
``states.parquet`` and ``meta.json`` atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SPIKE_COLUMNS = ("population", "neuron", "time_ms")
STATE_COLUMNS = ("population", "neuron", "time_ms", "variable", "value")
FILES = ("spikes.parquet", "states.parquet", "meta.json")


@dataclass
class StateTrace:
    """Samples of one variable of some neurons: ``values[i, j]`` at ``times[i]`` for ``neurons[j]``."""

    population: str
    variable: str
    neurons: np.ndarray
    times: np.ndarray
    values: np.ndarray


@dataclass
class RunOutput:
    """What an adapter hands back; the core turns it into a :class:`Result`."""

    spikes: Mapping[str, tuple[np.ndarray, np.ndarray]]  # population -> (neurons, times_ms)
    states: list[StateTrace]
    build_seconds: float
    run_seconds: float
    meta: dict[str, Any] = field(default_factory=dict)


def spikes_frame(spikes: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """One row per spike, sorted by time then population then neuron."""
    frames = [pd.DataFrame({"population": name, "neuron": np.asarray(neurons, dtype=np.int64),
                            "time_ms": np.asarray(times, dtype=float)})
              for name, (neurons, times) in spikes.items()]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(SPIKE_COLUMNS))
    frame = frame.astype({"population": "string", "neuron": "int64", "time_ms": "float64"})
    return frame.sort_values(["time_ms", "population", "neuron"], kind="stable").reset_index(drop=True)


def states_frame(traces: list[StateTrace]) -> pd.DataFrame:
    """One row per sample, long format."""
    frames = []
    for trace in traces:
        n_times, n_neurons = trace.values.shape
        frames.append(pd.DataFrame({
            "population": trace.population,
            "neuron": np.tile(np.asarray(trace.neurons, dtype=np.int64), n_times),
            "time_ms": np.repeat(np.asarray(trace.times, dtype=float), n_neurons),
            "variable": trace.variable,
            "value": np.asarray(trace.values, dtype=float).ravel(),
        }))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(STATE_COLUMNS))
    return frame.astype({"population": "string", "neuron": "int64", "time_ms": "float64",
                         "variable": "string", "value": "float64"})


@dataclass
class Result:
    """Spikes, recorded states and metadata of one run on one backend."""

    spikes: pd.DataFrame
    states: pd.DataFrame
    meta: dict[str, Any]

    def rates(self) -> pd.Series:
        """Mean firing rate (Hz) per population whose spikes were recorded, over all its neurons and the run."""
        sizes = pd.Series(self.meta.get("population_sizes", {}), dtype=float)
        recorded = self.meta.get("spike_populations")
        if recorded is not None:
            sizes = sizes[sizes.index.isin(recorded)]
        counts = self.spikes.groupby("population").size().reindex(sizes.index, fill_value=0)
        return (counts / sizes / (self.meta["duration_ms"] / 1000.0)).rename("rate_hz")

    def trace(self, population: str, variable: str, neuron: int = 0) -> pd.Series:
        """One neuron's recorded trace, indexed by ``time_ms``."""
        s = self.states
        rows = s[(s.population == population) & (s.variable == variable) & (s.neuron == neuron)]
        return rows.set_index("time_ms")["value"].rename(f"{population}[{neuron}].{variable}")

    def spike_times(self, population: str, neuron: int) -> np.ndarray:
        s = self.spikes
        return s.loc[(s.population == population) & (s.neuron == neuron), "time_ms"].to_numpy()

    def save(self, directory: str | Path) -> Path:
        """Write the three files atomically: a crash never leaves a half-written folder."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
        try:
            self.spikes.to_parquet(staging / "spikes.parquet", index=False)
            self.states.to_parquet(staging / "states.parquet", index=False)
            (staging / "meta.json").write_text(json.dumps(self.meta, indent=2, default=_jsonable))
            if directory.exists():
                _replace_files(staging, directory)
            else:
                os.replace(staging, directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return directory


def _replace_files(staging: Path, directory: Path) -> None:
    """Move the finished files into an existing folder, each by an atomic rename."""
    for name in FILES:
        os.replace(staging / name, directory / name)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def load_result(directory: str | Path) -> Result:
    """Read a result written by :meth:`Result.save`."""
    directory = Path(directory)
    missing = [name for name in FILES if not (directory / name).exists()]
    if missing:
        from .errors import InvalidValueError
        raise InvalidValueError(f"{directory} is not a neurobridge result: missing {', '.join(missing)}.")
    meta = json.loads((directory / "meta.json").read_text())
    return Result(pd.read_parquet(directory / "spikes.parquet"),
                  pd.read_parquet(directory / "states.parquet"), meta)
