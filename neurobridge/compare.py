"""Cross-backend comparison: every metric, per population, against the reference and pairwise.

A folder of runs (a Hydra multirun, or several ``neurobridge run`` folders) is
gathered into :class:`Run` objects, one per saved :class:`~neurobridge.Result`.
Runs are grouped by the swept parameters (so a sweep over ``tau_m`` compares
backends at each ``tau_m``) and labelled by backend; in each group every pair of
labels is compared on every metric listed in :attr:`CompareSettings.metrics`,
for every variant and neuron population. The outcome is a tidy table
(``variant, population, metric, backend_a, backend_b, value, tolerance, passed``
plus a column per swept parameter) and a verdict.

Metrics (``METRICS``; a metric is a function of two :class:`PopulationView`)
---------------------------------------------------------------------------
``rate_rel_diff``
    |mean rate b - mean rate a| / mean rate a (a: the reference side of the pair).
``count_correlation``
    Pearson correlation of the per-neuron spike counts.
``coincidence_factor``
    Kistler et al. (1997) Γ per neuron, window ``coincidence_window_ms``, averaged over
    neurons that fire in either run (1: identical trains, 0: chance). Deterministic cases.
``van_rossum``
    van Rossum (2001) distance per neuron, time constant ``van_rossum_tau_ms``, averaged
    (one extra or missing spike adds about 0.71). Deterministic cases.
``rmse_<variable>``
    RMS difference of a recorded variable (``rmse_V_m`` in mV), b interpolated onto a's
    time grid where they overlap (NEST and Brian2 sample on grids offset by one step).
``ks_rates``, ``ks_cv_isi``, ``ks_correlations``
    Kolmogorov-Smirnov distance (``scipy.stats.ks_2samp``) between the distributions of
    per-neuron rates, ISI CVs and pairwise spike-count correlations.
``d_rates``, ``d_cv_isi``, ``d_correlations``
    The effect size |Cohen's d| of the same distributions.

A metric whose tolerance is ``null`` is reported, not judged; a metric that does
not apply (no spikes, one neuron, variable not recorded) has no value and passes.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from . import analysis
from .errors import InvalidValueError, UnknownNameError, unknown
from .folders import remove_stale_files, replace_with, write_file, writing
from .gather import RECORDS, Gathered, Layout, Run, find_runs, gather, parse_overrides
from .results import Result

REFERENCE = "numpy"
TABLE_COLUMNS = ["variant", "population", "metric", "backend_a", "backend_b", "value", "tolerance", "passed"]


def network_settings() -> dict[str, Any]:
    """The comparison of networks that diverge (``conf/compare/network.yaml``, the one place it is stated):
    what runs without ``compare`` settings of their own are judged by."""
    from importlib import resources

    text = (resources.files("neurobridge.conf") / "compare" / "network.yaml").read_text()
    return dict(yaml.safe_load(text))


@dataclass
class CompareSettings:
    """Which metrics to compute, their tolerances and the analysis windows (``compare:`` in the config).

    ``metrics`` maps a metric name to its tolerance: an upper bound for distances and
    differences, a lower bound for ``count_correlation`` and ``coincidence_factor``,
    ``None`` to report without judging.
    """

    reference: str = REFERENCE
    coincidence_window_ms: float = 2.0
    van_rossum_tau_ms: float = 10.0
    rate_bin_ms: float = 5.0
    correlation_bin_ms: float = 10.0
    max_correlation_neurons: int = 100
    min_spikes_for_cv: int = 3
    min_neurons_for_distributions: int = 10
    metrics: dict[str, float | None] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> CompareSettings:
        """Settings from plain data, refusing unknown fields and metrics."""
        data = dict(data or {})
        allowed = [f for f in cls.__dataclass_fields__]
        for key in data:
            if key not in allowed:
                raise unknown("field", key, "compare", allowed)
        settings = cls(**data)
        for name in settings.metrics:
            metric_function(name)
        return settings


# ------------------------------------------------------------------------------------ groups, labels

@dataclass
class Group:
    """Runs compared with each other: one point of a sweep (``values``), runs labelled uniquely."""

    values: dict[str, Any]
    runs: list[Run]

    def labels(self, reference: str) -> list[str]:
        """Labels in comparison order: the reference first, then backends in registry order."""
        names = sorted({r.label for r in self.runs}, key=lambda name: (name != reference, name))
        return names

    def variants(self) -> list[str]:
        return list(dict.fromkeys(r.variant for r in self.runs))

    def run(self, label: str, variant: str) -> Run | None:
        return next((r for r in self.runs if r.label == label and r.variant == variant), None)


def arrange(runs: list[Run], multirun: bool = False) -> tuple[list[Group], list[str], list[str]]:
    """Group the runs by swept values and label them.

    Returns
    -------
    groups, sweep_keys, notes
        A multirun is grouped by the values it swept (besides the backend), so each
        point of the sweep compares its backends. A folder of separate runs is grouped
        that way only when some group then holds two backends; otherwise (a deliberately
        perturbed run, say) all runs form one group and runs of the same backend are
        told apart by the overrides in their labels.
    """
    jobs = list(dict.fromkeys(r.job for r in runs))
    overrides = {r.job: r.overrides for r in runs}
    backends = {r.job: r.backend for r in runs}
    keys = _sweep_keys([overrides[j] for j in jobs])
    by_values: dict[tuple, list[Path]] = {}
    for job in jobs:
        by_values.setdefault(tuple(_text(overrides[job].get(k)) for k in keys), []).append(job)
    distinct = all(len({backends[j] for j in members}) == len(members) for members in by_values.values())
    if multirun or (distinct and any(len(members) > 1 for members in by_values.values())):
        groups = []
        for members in by_values.values():
            _label_apart(runs, members, backends, overrides, [])
            values = {k: overrides[members[0]].get(k) for k in keys}
            groups.append(Group(values, [r for r in runs if r.job in members]))
        return groups, keys, []
    notes = [f"Runs differ in {', '.join(keys)}; compared as one group."] if keys else []
    _label_apart(runs, jobs, backends, overrides, keys)
    return [Group({}, list(runs))], [], notes


def _sweep_keys(overrides: list[dict[str, Any]]) -> list[str]:
    keys = list(dict.fromkeys(k for o in overrides for k in o if k != "backend"))
    return [k for k in keys if len({_text(o.get(k)) for o in overrides}) > 1]


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _label_apart(runs: list[Run], jobs: list[Path], backends: dict[Path, str],
                 overrides: dict[Path, dict[str, Any]], keys: list[str]) -> None:
    counts = Counter(backends.values())
    seen: Counter[str] = Counter()
    for job in jobs:
        label = backends[job]
        if counts[label] > 1:
            changed = [f"{k.removeprefix('model.')}={overrides[job][k]}" for k in keys if k in overrides[job]]
            label = f"{label}[{','.join(changed)}]" if changed else label
        seen[label] += 1
        for run in runs:
            if run.job == job:
                run.label = label if seen[label] == 1 else f"{label}#{seen[label]}"


# ------------------------------------------------------------------------------------------ metrics

class PopulationView:
    """One population of one run, with the per-neuron statistics the metrics need (computed once)."""

    def __init__(self, result: Result, population: str, settings: CompareSettings) -> None:
        self.result, self.population, self.settings = result, population, settings
        self.size = analysis.population_size(result, population)
        self.duration_ms = float(result.meta["duration_ms"])

    @cached_property
    def counts(self) -> np.ndarray:
        return analysis.spike_counts(self.result, self.population)

    @cached_property
    def rates(self) -> np.ndarray:
        return self.counts / (self.duration_ms / 1000.0)

    @cached_property
    def trains(self) -> list[np.ndarray]:
        return analysis.spike_trains(self.result, self.population)

    @cached_property
    def cvs(self) -> np.ndarray:
        return analysis.isi_cvs(self.trains, self.settings.min_spikes_for_cv)

    def correlations(self, neurons: np.ndarray) -> np.ndarray:
        counts = analysis.binned_counts([self.trains[i] for i in neurons], self.duration_ms,
                                        self.settings.correlation_bin_ms)
        return analysis.pairwise_correlations(counts)

    def trace(self, variable: str) -> pd.DataFrame:
        """``time_ms`` × neuron table of one recorded variable (empty when not recorded)."""
        s = self.result.states
        rows = s[(s.population == self.population) & (s.variable == variable)]
        return rows.pivot(index="time_ms", columns="neuron", values="value")  # keeps NaN samples


MetricFunction = Callable[[PopulationView, PopulationView], float]


def rate_rel_diff(a: PopulationView, b: PopulationView) -> float:
    """Relative difference of the population mean rates, relative to ``a``."""
    rate_a, rate_b = a.rates.mean(), b.rates.mean()
    if rate_a == 0:
        return 0.0 if rate_b == 0 else math.inf
    return float(abs(rate_b - rate_a) / rate_a)


def count_correlation(a: PopulationView, b: PopulationView) -> float:
    """Pearson correlation of per-neuron spike counts (1 when both are equal and constant)."""
    if a.size < 2:
        return math.nan
    if a.counts.std() == 0 or b.counts.std() == 0:
        return 1.0 if np.array_equal(a.counts, b.counts) else math.nan
    return float(stats.pearsonr(a.counts, b.counts).statistic)


def coincidence_factor(a: PopulationView, b: PopulationView) -> float:
    """Mean Kistler Γ over neurons that fire in either run; ``a`` is the data, ``b`` the model."""
    window = a.settings.coincidence_window_ms
    values = [kistler_gamma(x, y, window, a.duration_ms) for x, y in zip(a.trains, b.trains) if x.size or y.size]
    return float(np.mean(values)) if values else math.nan


def kistler_gamma(data: np.ndarray, model: np.ndarray, window_ms: float, duration_ms: float) -> float:
    """Coincidence factor Γ of Kistler, Gerstner & van Hemmen (1997), Neural Comput 9:1015.

    Γ = (N_coinc - <N_coinc>) / (½ (N_data + N_model)) / (1 - 2 ν Δ), with <N_coinc> = 2 ν Δ N_data,
    ν the model's rate and N_coinc the data spikes with a model spike within ±Δ.
    """
    if data.size == 0 or model.size == 0:
        return 1.0 if data.size == model.size else 0.0
    nearest = np.searchsorted(model, data)
    left = np.abs(data - model[np.clip(nearest - 1, 0, model.size - 1)])
    right = np.abs(model[np.clip(nearest, 0, model.size - 1)] - data)
    coincidences = np.count_nonzero(np.minimum(left, right) <= window_ms + 1e-9)
    rate = model.size / duration_ms
    expected = 2 * rate * window_ms * data.size
    return float((coincidences - expected) / (0.5 * (data.size + model.size)) / (1 - 2 * rate * window_ms))


def van_rossum(a: PopulationView, b: PopulationView) -> float:
    """Mean van Rossum distance over neurons that fire in either run."""
    tau = a.settings.van_rossum_tau_ms
    values = [van_rossum_distance(x, y, tau) for x, y in zip(a.trains, b.trains) if x.size or y.size]
    return float(np.mean(values)) if values else math.nan


def van_rossum_distance(x: np.ndarray, y: np.ndarray, tau_ms: float) -> float:
    """van Rossum (2001) distance, D² = (1/τ) ∫ (f - g)² dt with causal exponential kernels.

    Closed form: D² = ½ [Σ e^{-|x_i-x_j|/τ} + Σ e^{-|y_i-y_j|/τ} - 2 Σ e^{-|x_i-y_j|/τ}].
    """
    def kernel_sum(u: np.ndarray, v: np.ndarray) -> float:
        return float(sum(np.exp(-np.abs(np.subtract.outer(u[i:i + 512], v)) / tau_ms).sum()
                         for i in range(0, u.size, 512)))

    squared = 0.5 * (kernel_sum(x, x) + kernel_sum(y, y) - 2 * kernel_sum(x, y))
    return float(math.sqrt(max(squared, 0.0)))


def trace_rmse(variable: str) -> MetricFunction:
    """RMS difference of ``variable``, ``b`` interpolated onto ``a``'s times where both have samples."""
    def rmse(a: PopulationView, b: PopulationView) -> float:
        trace_a, trace_b = a.trace(variable), b.trace(variable)
        neurons = trace_a.columns.intersection(trace_b.columns)
        if neurons.empty:
            return math.nan
        times = trace_a.index[(trace_a.index >= trace_b.index.min()) & (trace_a.index <= trace_b.index.max())]
        if not times.size:
            return math.nan
        errors = np.concatenate([np.interp(times, trace_b.index, trace_b[n]) - trace_a.loc[times, n]
                                 for n in neurons])
        # NaN means "nothing to compare"; a trace that holds NaN or inf is a disagreement.
        return float(np.sqrt(np.mean(np.square(errors)))) if np.all(np.isfinite(errors)) else math.inf
    rmse.__doc__ = f"RMS difference of {variable} on the common time grid."
    return rmse


def _distribution(name: str) -> Callable[[PopulationView, PopulationView], tuple[np.ndarray, np.ndarray]]:
    def values(a: PopulationView, b: PopulationView) -> tuple[np.ndarray, np.ndarray]:
        if name == "correlations":
            active = np.flatnonzero((a.counts > 0) & (b.counts > 0))[: a.settings.max_correlation_neurons]
            return a.correlations(active), b.correlations(active)
        return getattr(a, name), getattr(b, name)
    return values


def ks_distance(name: str) -> MetricFunction:
    """Kolmogorov-Smirnov distance between the two distributions of ``name``."""
    sample = _distribution(name)

    def ks(a: PopulationView, b: PopulationView) -> float:
        if a.size < a.settings.min_neurons_for_distributions:
            return math.nan
        x, y = sample(a, b)
        if x.size == 0 or y.size == 0:
            return math.nan if x.size == y.size else 1.0
        with warnings.catch_warnings():  # "exact calculation unsuccessful": scipy falls back, fine here
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(stats.ks_2samp(x, y).statistic)
    return ks


def effect_size(name: str) -> MetricFunction:
    """|Cohen's d| between the two distributions of ``name`` (pooled standard deviation)."""
    sample = _distribution(name)

    def cohen_d(a: PopulationView, b: PopulationView) -> float:
        if a.size < a.settings.min_neurons_for_distributions:
            return math.nan
        x, y = sample(a, b)
        if x.size < 2 or y.size < 2:
            return math.nan
        pooled = math.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1)) / (x.size + y.size - 2))
        difference = abs(float(x.mean() - y.mean()))
        if pooled == 0:
            return 0.0 if difference == 0 else math.inf
        return difference / pooled
    return cohen_d


#: Metric name -> (function, higher is better).
METRICS: dict[str, tuple[MetricFunction, bool]] = {
    "rate_rel_diff": (rate_rel_diff, False),
    "count_correlation": (count_correlation, True),
    "coincidence_factor": (coincidence_factor, True),
    "van_rossum": (van_rossum, False),
    **{f"ks_{n}": (ks_distance(d), False) for n, d in (("rates", "rates"), ("cv_isi", "cvs"),
                                                       ("correlations", "correlations"))},
    **{f"d_{n}": (effect_size(d), False) for n, d in (("rates", "rates"), ("cv_isi", "cvs"),
                                                      ("correlations", "correlations"))},
}


def metric_function(name: str) -> tuple[MetricFunction, bool]:
    """The function of metric ``name`` and whether higher values are better (``rmse_<variable>`` too)."""
    if name.startswith("rmse_") and len(name) > 5:
        return trace_rmse(name[5:]), False
    if name not in METRICS:
        raise unknown("metric", name, "compare.metrics", [*METRICS, "rmse_<variable>"], UnknownNameError)
    return METRICS[name]


# -------------------------------------------------------------------------------------- comparison

@dataclass
class Comparison:
    """The outcome: tidy table, verdict, the runs compared and what to tell the reader."""

    table: pd.DataFrame
    runs: list[Run]
    groups: list[Group]
    sweep_keys: list[str]
    settings: CompareSettings
    notes: list[str] = field(default_factory=list)
    #: Jobs that failed, by name, with their error.
    failed_jobs: dict[str, str] = field(default_factory=dict)
    #: Jobs that were asked for but have no complete result, by name, with why.
    missing_jobs: dict[str, str] = field(default_factory=dict)
    #: How many jobs the sweep asked for (``None``: a folder of separate runs).
    expected_jobs: int | None = None

    @property
    def failures(self) -> pd.DataFrame:
        """Rows outside tolerance."""
        return self.table[self.table.passed.eq(False).fillna(False).astype(bool)]

    @property
    def passed(self) -> bool:
        """Every check within tolerance, and every job that was asked for complete."""
        return self.failures.empty and not self.failed_jobs and not self.missing_jobs

    def jobs_line(self) -> str:
        """``4 of 6 jobs complete; 1 failed, 1 missing`` (empty when all are there)."""
        if not self.failed_jobs and not self.missing_jobs:
            return ""
        parts = [f"{len(self.failed_jobs)} failed" if self.failed_jobs else "",
                 f"{len(self.missing_jobs)} missing" if self.missing_jobs else ""]
        total = self.expected_jobs
        complete = len({r.job for r in self.runs})
        head = f"{complete} of {total} jobs complete" if total is not None else f"{complete} jobs complete"
        return f"{head}; {', '.join(p for p in parts if p)}"

    def verdict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data (``verdict.json``)."""
        failures = self.failures
        return {
            "passed": self.passed,
            "n_checks": int(self.table.passed.notna().sum()),
            "n_failed": int(len(failures)),
            "labels": sorted({r.label for r in self.runs}),
            "failures": [_describe(row) for row in failures.to_dict("records")],
            "n_jobs": self.expected_jobs,
            "n_complete_jobs": len({r.job for r in self.runs}),
            "failed_jobs": dict(self.failed_jobs),
            "missing_jobs": dict(self.missing_jobs),
            "notes": self.notes,
            "settings": asdict(self.settings),
        }


def _describe(row: Mapping[str, Any]) -> str:
    bound = ">=" if metric_function(row["metric"])[1] else "<="
    return (f"{row['variant']}/{row['population']}: {row['metric']} {row['backend_a']} vs {row['backend_b']} "
            f"= {row['value']:.4g}, tolerance {bound} {row['tolerance']:g}")


def compare_runs(runs: list[Run], settings: CompareSettings, multirun: bool = False) -> Comparison:
    """Compare every pair of labels in every group, variant and neuron population."""
    groups, keys, notes = arrange(runs, multirun)
    rows = []
    alone = [g for g in groups if g.runs and len(g.labels(settings.reference)) < 2]
    if alone:
        where = "every point of the sweep" if len(alone) == len(groups) and keys else \
            "; ".join(_point(g.values) or "the only point" for g in alone)
        notes.append(f"One backend only at {where}: nothing compared there.")
    for group in groups:
        labels = group.labels(settings.reference)
        for variant in group.variants():
            rows += _compare_variant(group, variant, labels, settings, notes)
    table = pd.DataFrame(rows, columns=[*keys, *TABLE_COLUMNS])
    table["passed"] = table["passed"].astype("boolean")
    return Comparison(table, runs, groups, keys, settings, notes)


def _point(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _pairs(labels: list[str]) -> list[tuple[str, str]]:
    """Reference against each other label first, then the remaining pairs."""
    return list(itertools.combinations(labels, 2))


def _compare_variant(group: Group, variant: str, labels: list[str], settings: CompareSettings,
                     notes: list[str]) -> list[dict[str, Any]]:
    present = [label for label in labels if group.run(label, variant) is not None]
    if len(present) < len(labels):
        notes.append(f"Variant {variant} is missing for {', '.join(sorted(set(labels) - set(present)))}.")
    rows = []
    for label_a, label_b in _pairs(present):
        run_a, run_b = group.run(label_a, variant), group.run(label_b, variant)
        assert run_a is not None and run_b is not None
        for population in analysis.neuron_populations(run_a.result):
            a = PopulationView(run_a.result, population, settings)
            b = PopulationView(run_b.result, population, settings)
            for metric, tolerance in settings.metrics.items():
                value = metric_function(metric)[0](a, b)
                rows.append({**group.values, "variant": variant, "population": population, "metric": metric,
                             "backend_a": label_a, "backend_b": label_b, "value": value,
                             "tolerance": tolerance, "passed": _judge(metric, value, tolerance)})
    return rows


def _judge(metric: str, value: float, tolerance: float | None) -> bool | None:
    if tolerance is None or value is None or math.isnan(value):
        return None
    return bool(value >= tolerance) if metric_function(metric)[1] else bool(value <= tolerance)


# -------------------------------------------------------------------------------------- summary

def summary_table(runs: list[Run], sweep_keys: list[str] | None = None) -> pd.DataFrame:
    """One row per run and neuron population: label, backend, swept values, rates, CVs, wall times."""
    keys = sweep_keys if sweep_keys is not None else _sweep_keys([r.overrides for r in runs])
    rows = [_summary_row(run, population, keys) for run in runs
            for population in analysis.neuron_populations(run.result)]
    return _parquet_safe(pd.DataFrame(rows))


def _summary_row(run: Run, population: str, keys: list[str]) -> dict[str, Any]:
    meta = run.result.meta
    view = PopulationView(run.result, population, CompareSettings())
    return {
        "label": run.label or run.backend, "backend": run.backend,
        **{k: run.overrides.get(k) for k in keys},
        "experiment": meta.get("experiment"), "variant": run.variant, "population": population,
        "n_neurons": view.size, "n_spikes": int(view.counts.sum()), "rate_hz": float(view.rates.mean()),
        "cv_isi_mean": float(view.cvs.mean()) if view.cvs.size else math.nan,
        **{f"theory_{metric}": float(value)
           for metric, value in (meta.get("theory") or {}).get(population, {}).items()},
        "simulator_version": meta.get("simulator_version"), "dt_ms": meta.get("dt_ms"),
        "duration_ms": meta.get("duration_ms"), "n_synapses": meta.get("n_synapses"),
        "realize_seconds": meta.get("realize_seconds"), "build_seconds": meta.get("build_seconds"),
        "run_seconds": meta.get("run_seconds"), "model_hash": meta.get("model_hash"),
        "directory": str(run.directory),
    }


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns mixing numbers and text (a swept value) become text, so Parquet can store them."""
    for column in frame.columns[frame.dtypes.map(lambda dtype: dtype == "object")]:
        kinds = {type(v) for v in frame[column].dropna()}
        if len(kinds) > 1 and not kinds <= {int, float}:
            frame[column] = frame[column].map(lambda v: None if v is None else str(v))
    return frame


# ------------------------------------------------------------------------------------- entry point

def settings_of(runs: list[Run]) -> CompareSettings:
    """The comparison settings the runs were made with (the first run's), else the defaults."""
    stored = next((r.result.meta["compare"] for r in runs if "compare" in r.result.meta), None)
    return CompareSettings.from_mapping(stored or network_settings())


def compare_directory(directory: str | Path, settings: CompareSettings | None = None, layout: Layout = RECORDS,
                      before_verdict: Callable[[Comparison, Path], object] | None = None) -> Comparison:
    """Gather the runs under ``directory`` (job folders as ``layout`` marks them), compare them, write the
    tables and the verdict there.

    Writes ``summary.parquet``, ``comparison.csv``, ``comparison.parquet``, whatever ``before_verdict``
    writes (the app's report), and ``verdict.json``. The old ``verdict.json`` is removed first and the
    new one written last, so a failure on the way leaves no verdict. The caller owns ``directory``
    (:func:`neurobridge.folders.folder_lock`).

    Raises
    ------
    InvalidValueError
        Nothing to compare under ``directory`` (no results, no job records).
    CorruptFileError
        A result or record file is unreadable or invalid (the message names it).
    OutputWriteError
        A file could not be written (disk full, permissions).
    """
    directory = Path(directory)
    gathered = gather(directory, layout)
    if gathered.empty:
        raise InvalidValueError(f"No neurobridge results (meta.json) under {directory}.")
    comparison = compare_gathered(gathered, settings)
    write_comparison(comparison, directory, before_verdict)
    return comparison


def compare_gathered(gathered: Gathered, settings: CompareSettings | None = None) -> Comparison:
    """Compare the gathered runs; failed and missing jobs go into the verdict."""
    comparison = compare_runs(gathered.runs, settings or settings_of(gathered.runs), gathered.multirun)
    comparison.failed_jobs, comparison.missing_jobs = dict(gathered.failed), dict(gathered.missing)
    comparison.expected_jobs = gathered.expected
    comparison.notes += gathered.notes
    return comparison


def write_comparison(comparison: Comparison, directory: Path,
                     before_verdict: Callable[[Comparison, Path], object] | None = None) -> None:
    """``summary.parquet``, ``comparison.csv``/``.parquet``, what ``before_verdict`` writes and, last,
    ``verdict.json``."""
    verdict = directory / "verdict.json"
    remove_stale_files(directory)
    with writing(verdict):
        verdict.unlink(missing_ok=True)
    summary = summary_table(comparison.runs, comparison.sweep_keys)
    replace_with(directory / "summary.parquet", lambda path: summary.to_parquet(path, index=False))
    table = _parquet_safe(comparison.table.copy())
    replace_with(directory / "comparison.csv", lambda path: table.to_csv(path, index=False))
    replace_with(directory / "comparison.parquet", lambda path: table.to_parquet(path, index=False))
    if before_verdict is not None:
        before_verdict(comparison, directory)
    write_file(verdict, json.dumps(comparison.verdict(), indent=2, default=str))


def verdict_word(comparison: Comparison) -> str:
    """``PASS``, ``FAIL``, or ``NOTHING COMPARED`` when no check was judged (one backend only): a run that
    nothing was held to has not passed anything."""
    if not comparison.passed:
        return "FAIL"
    return "PASS" if comparison.table.passed.notna().any() else "NOTHING COMPARED"


def format_verdict(comparison: Comparison) -> str:
    """A few lines for the terminal: PASS/FAIL, what failed and where."""
    table = comparison.table
    judged = int(table.passed.notna().sum())
    labels = ", ".join(sorted({r.label for r in comparison.runs}, key=lambda n: (n != REFERENCE, n)))
    head = verdict_word(comparison)
    lines = [f"{head}: {judged - len(comparison.failures)}/{judged} checks within tolerance "
             f"({labels or 'no complete runs'})"]
    lines += [f"  failed: {_describe(row)}" for row in comparison.failures.to_dict("records")]
    if comparison.jobs_line():
        lines[0] += f"; {comparison.jobs_line()}"
    lines += [f"  job failed: {name}: {error}" for name, error in comparison.failed_jobs.items()]
    lines += [f"  job missing: {name}: {why}" for name, why in comparison.missing_jobs.items()]
    lines += [f"  note: {note}" for note in comparison.notes]
    return "\n".join(lines)


__all__ = ["CompareSettings", "Comparison", "Run", "find_runs", "gather", "parse_overrides", "compare_runs",
           "compare_gathered", "compare_directory",
           "summary_table", "kistler_gamma", "van_rossum_distance", "METRICS", "format_verdict"]
