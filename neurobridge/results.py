"""Results: tidy pandas tables and run metadata, Parquet on disk.

``Result.spikes`` has one row per spike (``population, neuron, time_ms``);
``Result.states`` one row per sample (``population, neuron, time_ms,
variable, value``); ``Result.meta`` says which backend ran what, how big it
was and how long it took. ``Result.save`` writes ``spikes.parquet``,
``states.parquet`` and ``meta.json`` atomically.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import CorruptFileError
from .folders import folder_lock, reason, replace_with, write_file, write_folder, writing

SPIKE_COLUMNS = ("population", "neuron", "time_ms")
STATE_COLUMNS = ("population", "neuron", "time_ms", "variable", "value")
FILES = ("spikes.parquet", "states.parquet", "meta.json")
#: Numeric columns of the tables and the dtype kinds each may have.
NUMERIC_COLUMNS = {"neuron": "iu", "time_ms": "fiu", "value": "fiu"}


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

    def to_neo(self) -> Any:
        """The result as a ``neo.Block`` (spike trains per neuron, analog signals with units); needs
        ``pip install 'neurobridge[neo]'``. See :mod:`neurobridge.export` for times and normalisations."""
        from .export import to_neo

        return to_neo(self)

    def spike_times(self, population: str, neuron: int) -> np.ndarray:
        s = self.spikes
        return s.loc[(s.population == population) & (s.neuron == neuron), "time_ms"].to_numpy()

    def write(self, directory: str | Path) -> Path:
        """Write the three files into ``directory`` (created if needed), each file by an atomic rename.

        The folder as a whole is not atomic: use :meth:`save`, or a commit record written after
        (a job's ``job.json``).
        """
        directory = Path(directory)
        with writing(directory):
            directory.mkdir(parents=True, exist_ok=True)
        replace_with(directory / "spikes.parquet", lambda path: self.spikes.to_parquet(path, index=False))
        replace_with(directory / "states.parquet", lambda path: self.states.to_parquet(path, index=False))
        write_file(directory / "meta.json", json.dumps(self.meta, indent=2, default=_jsonable))
        return directory

    def save(self, directory: str | Path, overwrite: bool = False) -> Path:
        """Write the folder whole: it appears complete or not at all, owned by one writer at a time.

        Parameters
        ----------
        directory
            The result's folder. It must not exist, or be empty, unless ``overwrite``.
        overwrite
            Replace an existing folder (swapped by renames: a reader never sees a mixture).

        Raises
        ------
        FolderInUseError
            Another process is writing ``directory``.
        FolderNotEmptyError
            ``directory`` holds files and ``overwrite`` is not set.
        """
        with folder_lock(directory):
            return write_folder(directory, self.write, overwrite)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


# ------------------------------------------------------------------------------------------- reading

#: Fields every ``meta.json`` has, and what each must be.
META_FIELDS: dict[str, str] = {"backend": "text", "dt_ms": "positive number", "duration_ms": "positive number",
                               "population_sizes": "mapping of population to size"}
#: Optional fields the comparison reads, and what each must be when present.
META_OPTIONAL: dict[str, str] = {"variant": "text", "experiment": "text", "name": "text", "model_hash": "text",
                                 "simulator_version": "text", "overrides": "list of text",
                                 "spike_populations": "list of text", "compare": "mapping", "network": "mapping"}


def load_result(directory: str | Path) -> Result:
    """Read a result written by :meth:`Result.save` or :meth:`Result.write`, checking every file.

    Raises
    ------
    CorruptFileError
        A file is missing, unreadable or does not hold a neurobridge result (one line, naming it).
    """
    directory = Path(directory)
    missing = [name for name in FILES if not (directory / name).is_file()]
    if missing:
        raise CorruptFileError(f"{directory} is not a neurobridge result: missing {', '.join(missing)}.")
    meta = read_meta(directory / "meta.json")
    spikes = read_table(directory / "spikes.parquet", SPIKE_COLUMNS)
    states = read_table(directory / "states.parquet", STATE_COLUMNS)
    _check_neurons(directory / "spikes.parquet", spikes, meta["population_sizes"])
    _check_neurons(directory / "states.parquet", states, meta["population_sizes"])
    return Result(spikes, states, meta)


def read_json(path: Path) -> Any:
    """The JSON in ``path``; :class:`CorruptFileError` naming it when it cannot be read or parsed."""
    try:
        return json.loads(path.read_bytes())
    except json.JSONDecodeError as error:
        raise CorruptFileError(f"{path}: not valid JSON ({error.msg} at line {error.lineno} "
                               f"column {error.colno}).") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CorruptFileError(f"{path}: cannot be read ({reason(error)}).") from None


def read_meta(path: Path) -> dict[str, Any]:
    """A result's ``meta.json``, with the fields the comparison relies on checked."""
    meta = read_json(path)
    if not isinstance(meta, dict):
        raise CorruptFileError(f"{path}: expected a JSON object, got {_shown(meta)}.")
    missing = [key for key in META_FIELDS if key not in meta]
    if missing:
        raise CorruptFileError(f"{path}: missing {', '.join(missing)} (a result's meta.json has "
                               f"{', '.join(META_FIELDS)}).")
    for key, kind in (*META_FIELDS.items(), *((k, v) for k, v in META_OPTIONAL.items() if k in meta)):
        if not _is(kind, meta[key]):
            raise CorruptFileError(f'{path}: "{key}" must be a {kind}, got {_shown(meta[key])}.')
    return meta


def _is(kind: str, value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    checks = {
        "text": lambda: isinstance(value, str),
        "positive number": lambda: number and math.isfinite(value) and value > 0,
        "mapping": lambda: isinstance(value, dict),
        "list of text": lambda: isinstance(value, list) and all(isinstance(v, str) for v in value),
        "mapping of population to size": lambda: isinstance(value, dict) and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value.values()),
    }
    return checks[kind]()


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A Parquet table with exactly ``columns`` (neuron whole numbers, times and values numbers)."""
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged file
        detail = reason(error).split(f"{path}': ")[-1]  # pyarrow repeats the path
        raise CorruptFileError(f"{path}: not a readable Parquet file ({detail}).") from None
    if tuple(frame.columns) != columns:
        raise CorruptFileError(f"{path}: columns {', '.join(map(str, frame.columns)) or 'none'}, "
                               f"expected {', '.join(columns)}.")
    for column, kinds in NUMERIC_COLUMNS.items():
        if column in columns and frame[column].dtype.kind not in kinds:
            raise CorruptFileError(f"{path}: column {column} holds {frame[column].dtype}, expected "
                                   f"{'whole numbers' if kinds == 'iu' else 'numbers'}.")
    return frame


def _check_neurons(path: Path, frame: pd.DataFrame, sizes: Mapping[str, int]) -> None:
    """Every row names a population of the run and a neuron inside it."""
    unknown = sorted(set(frame.population.astype(str)) - set(sizes))
    if unknown:
        raise CorruptFileError(f'{path}: population "{unknown[0]}" is not in meta.json population_sizes '
                               f"({', '.join(sizes) or 'none'}).")
    if frame.empty:
        return
    limits = frame.population.astype(str).map(sizes).to_numpy()
    outside = (frame.neuron.to_numpy() < 0) | (frame.neuron.to_numpy() >= limits)
    if outside.any():
        row = frame[outside].iloc[0]
        raise CorruptFileError(f'{path}: neuron {row.neuron} of population "{row.population}" is outside '
                               f"0..{sizes[str(row.population)] - 1}.")
