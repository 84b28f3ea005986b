"""The validation report: ``report.md`` and the same as ``report.html``, with its figures.

The report is a list of blocks (headings, text, tables, figures) rendered twice,
as Markdown and as HTML, so the two always say the same. It holds the verdict
table (failures first), the runs' metadata (versions, sizes, wall times), and
per sweep point and variant: rasters side by side, population-rate overlays,
trace overlays and the distributions the KS metrics compare. Units on every axis.
"""

from __future__ import annotations

import html
import math
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import analysis, catalog  # noqa: E402
from .compare import CompareSettings, Comparison, Group, PopulationView, verdict_word  # noqa: E402
from .folders import write_file, writing  # noqa: E402
from .plotting import raster  # noqa: E402
from .results import Result  # noqa: E402

#: Figures are drawn for at most this many sweep points; the tables cover all.
MAX_FIGURE_GROUPS = 6
#: Rows of the verdict table shown in the report (all are in comparison.csv).
MAX_TABLE_ROWS = 300


# ------------------------------------------------------------------------------------------ blocks

@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Text:
    text: str


@dataclass
class Table:
    frame: pd.DataFrame


@dataclass
class Figure:
    path: str  # relative to the report
    caption: str


Block = Heading | Text | Table | Figure


def to_markdown(blocks: Iterable[Block]) -> str:
    """The blocks as Markdown."""
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Text):
            parts.append(block.text)
        elif isinstance(block, Table):
            parts.append(_markdown_table(block.frame))
        else:
            parts.append(f"![{block.caption}]({block.path})\n\n*{block.caption}*")
    return "\n\n".join(parts) + "\n"


def _markdown_table(frame: pd.DataFrame) -> str:
    cells = frame.astype(object).where(frame.notna(), "").astype(str)
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in cells.to_numpy()]
    return "\n".join(lines)


def to_html(blocks: Iterable[Block], title: str) -> str:
    """The blocks as a standalone HTML page."""
    body = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Text):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Table):
            body.append(block.frame.to_html(index=False, na_rep="", border=0, classes="table"))
        else:
            body.append(f'<figure><img src="{html.escape(block.path)}" alt="{html.escape(block.caption)}">'
                        f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px}"
             "img{max-width:100%}figcaption{font-style:italic;color:#444}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _inline(text: str) -> str:
    """Escape, then the little Markdown the report's text uses: ``code``, **bold**, line breaks."""
    escaped = html.escape(text)
    for mark, tag in (("**", "strong"), ("`", "code")):
        pieces = escaped.split(mark)
        escaped = "".join(p if i % 2 == 0 else f"<{tag}>{p}</{tag}>" for i, p in enumerate(pieces))
    return escaped.replace("\n", "<br>")


# ------------------------------------------------------------------------------------------ report

def write_report(comparison: Comparison, directory: str | Path) -> Path:
    """Write ``report.md``, ``report.html`` and ``figures/*.png`` into ``directory``."""
    directory = Path(directory)
    figures = directory / "figures"
    with writing(figures):
        shutil.rmtree(figures, ignore_errors=True)  # figures of an earlier comparison
        figures.mkdir()
    blocks = report_blocks(comparison, directory)
    title = f"neurobridge validation: {_experiment(comparison)}"
    write_file(directory / "report.md", to_markdown(blocks))
    write_file(directory / "report.html", to_html(blocks, title))
    return directory / "report.md"


def _experiment(comparison: Comparison) -> str:
    names = sorted({str(r.result.meta.get("experiment") or r.result.meta.get("name")) for r in comparison.runs})
    return ", ".join(names) or "no runs"


def report_blocks(comparison: Comparison, directory: Path) -> list[Block]:
    """Everything the report says, in order."""
    blocks: list[Block] = [Heading(f"neurobridge validation: {_experiment(comparison)}", 1)]
    blocks += _verdict_blocks(comparison)
    blocks += [Heading("Runs"), Table(runs_table(comparison))]
    for index, group in enumerate(comparison.groups[:MAX_FIGURE_GROUPS]):
        blocks += _group_blocks(comparison, group, index, directory)
    if len(comparison.groups) > MAX_FIGURE_GROUPS:
        blocks.append(Text(f"Figures are shown for the first {MAX_FIGURE_GROUPS} of {len(comparison.groups)} "
                           f"sweep points; `summary.parquet` and `comparison.csv` hold all."))
    blocks += [Heading("Settings"), Table(settings_table(comparison.settings))]
    return blocks


def _verdict_blocks(comparison: Comparison) -> list[Block]:
    table = comparison.table
    judged = int(table.passed.notna().sum())
    failed = len(comparison.failures)
    word = verdict_word(comparison)
    blocks: list[Block] = [Text(f"**Verdict: {word}**: {judged - failed} of {judged} checks within tolerance, "
                                f"reference `{comparison.settings.reference}`.")]
    if comparison.jobs_line():
        blocks.append(Text(f"**Jobs:** {comparison.jobs_line()}."))
    for name, error in comparison.failed_jobs.items():
        blocks.append(Text(f"**Job failed** `{name}`: {error}"))
    for name, why in comparison.missing_jobs.items():
        blocks.append(Text(f"**Job missing** `{name}`: {why}"))
    for note in comparison.notes:
        blocks.append(Text(f"Note: {note}"))
    blocks.append(Heading("Verdict"))
    if table.empty:
        blocks.append(Text("Nothing to compare: fewer than two backends ran."))
        return blocks
    failures = comparison.failures
    if not failures.empty:
        blocks += [Text("**Outside tolerance:**"), Table(verdict_table(failures))]
    shown = verdict_matrix(table, comparison.sweep_keys)
    blocks.append(Table(shown.head(MAX_TABLE_ROWS)))
    if len(shown) > MAX_TABLE_ROWS:
        blocks.append(Text(f"{len(shown) - MAX_TABLE_ROWS} more rows in `comparison.csv`."))
    blocks.append(Text("Bounds: `count_correlation` and `coincidence_factor` must reach the tolerance; every "
                       "other metric must stay at or below it. `reported`: shown, not judged. An empty cell: "
                       "not applicable (no spikes, too few neurons, variable not recorded)."))
    return blocks


def verdict_table(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table for reading: failures first, values rounded, outcome in words."""
    shown = table.copy()
    order = shown.passed.map({False: 0, True: 1}).fillna(2)
    shown = shown.assign(_order=order).sort_values("_order", kind="stable").drop(columns="_order")
    shown["value"] = shown["value"].map(_number)
    shown["tolerance"] = shown["tolerance"].map(_number)
    shown["passed"] = shown["passed"].map(lambda p: "reported" if pd.isna(p) else ("pass" if p else "FAIL"))
    return shown.rename(columns={"passed": "outcome"})


def verdict_matrix(table: pd.DataFrame, sweep_keys: Sequence[str] = ()) -> pd.DataFrame:
    """One row per (sweep point, variant, population, metric), one column per pair of backends."""
    shown = table.copy()
    shown["pair"] = shown.backend_a + " vs " + shown.backend_b
    shown["cell"] = [_number(v) + {True: "", False: " FAIL", None: ""}[None if pd.isna(p) else bool(p)]
                     for v, p in zip(shown.value, shown.passed)]
    shown["tolerance"] = shown.tolerance.map(_number).replace("", "reported")
    index = [*sweep_keys, "variant", "population", "metric", "tolerance"]
    matrix = shown.pivot_table(index=index, columns="pair", values="cell", aggfunc="first", sort=False)
    return matrix[list(dict.fromkeys(shown.pair))].reset_index().rename_axis(columns=None)


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.4g}" if isinstance(value, (float, int, np.floating)) else str(value)


def runs_table(comparison: Comparison) -> pd.DataFrame:
    """Metadata of every run: label, versions, sizes, time step, wall times."""
    rows = []
    for run in comparison.runs:
        meta = run.result.meta
        rows.append({
            "label": run.label, "variant": run.variant, "simulator": meta.get("simulator_version"),
            "neurons": meta.get("n_neurons"), "synapses": meta.get("n_synapses"),
            "dt (ms)": meta.get("dt_ms"), "duration (ms)": meta.get("duration_ms"),
            "realize (s)": _number(meta.get("realize_seconds")), "build (s)": _number(meta.get("build_seconds")),
            "run (s)": _number(meta.get("run_seconds")),
            **{k: run.overrides.get(k) for k in comparison.sweep_keys},
            "model hash": meta.get("model_hash"),
        })
    return pd.DataFrame(rows)


def settings_table(settings: CompareSettings) -> pd.DataFrame:
    """Windows and tolerances the comparison used."""
    rows = [(name, "" if value is None else value) for name, value in settings.metrics.items()]
    rows += [(name, getattr(settings, name)) for name in
             ("reference", "coincidence_window_ms", "van_rossum_tau_ms", "rate_bin_ms", "correlation_bin_ms",
              "max_correlation_neurons", "min_spikes_for_cv", "min_neurons_for_distributions")]
    return pd.DataFrame(rows, columns=["setting", "value"]).astype({"value": str})


# ----------------------------------------------------------------------------------------- figures

def _group_blocks(comparison: Comparison, group: Group, index: int, directory: Path) -> list[Block]:
    point = ", ".join(f"{k}={v}" for k, v in group.values.items())
    blocks: list[Block] = []
    for variant in group.variants():
        labelled = [(label, run.result) for label in group.labels(comparison.settings.reference)
                    if (run := group.run(label, variant)) is not None]
        title = " / ".join(p for p in (point, variant) if p)
        blocks.append(Heading(f"Figures: {title}"))
        stem = f"figures/{index:02d}_{_slug(variant)}"
        for name, draw, caption in _FIGURES:
            figure = draw(labelled, comparison.settings)
            if figure is None:
                continue
            path = directory / f"{stem}_{name}.png"
            try:
                with writing(path):
                    figure.savefig(path, dpi=100)
            finally:
                plt.close(figure)
            blocks.append(Figure(f"{stem}_{name}.png", f"{caption} ({title})"))
    return blocks


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:60]


def _color(index: int) -> str:
    return "black" if index == 0 else f"C{index - 1}"


def _style(index: int) -> dict[str, Any]:
    """The reference solid and wide, the others dashed or dotted on top, so equal curves stay visible."""
    return {"color": _color(index), "linestyle": ("-", "--", ":", "-.")[index % 4], "lw": 2.0 if index == 0 else 1.2}


Labelled = Sequence[tuple[str, Result]]


def rasters(labelled: Labelled, settings: CompareSettings) -> plt.Figure:
    """One raster per backend, side by side, same axes."""
    fig, axes = plt.subplots(1, len(labelled), figsize=(4.5 * len(labelled), 3.8), sharey=True,
                             squeeze=False, constrained_layout=True)
    for ax, (label, result) in zip(axes[0], labelled):
        raster(result, ax=ax, title=label, max_neurons=200)
    return fig


def rate_overlay(labelled: Labelled, settings: CompareSettings) -> plt.Figure:
    """Population rate over time, backends overlaid, one panel per population."""
    populations = analysis.neuron_populations(labelled[0][1])
    fig, axes = plt.subplots(len(populations), 1, figsize=(9, 2.4 * len(populations)), sharex=True,
                             squeeze=False, constrained_layout=True)
    for ax, population in zip(axes[:, 0], populations):
        for index, (label, result) in enumerate(labelled):
            rate = analysis.population_rate(result, population, settings.rate_bin_ms)
            ax.plot(rate.index, rate.to_numpy(), **_style(index), label=label)
        ax.set(ylabel=f"{population} rate (Hz)", title=f"{population}: {settings.rate_bin_ms:g} ms bins")
        ax.legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    return fig


def trace_overlay(labelled: Labelled, settings: CompareSettings, max_neurons: int = 3) -> plt.Figure | None:
    """Recorded traces, backends overlaid, one panel per population, variable and neuron."""
    states = labelled[0][1].states
    if states.empty:
        return None
    panels = [(p, v, n) for (p, v), rows in states.groupby(["population", "variable"], sort=False)
              for n in np.unique(rows.neuron)[:max_neurons]]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.2 * len(panels)), sharex=True, squeeze=False,
                             constrained_layout=True)
    for ax, (population, variable, neuron) in zip(axes[:, 0], panels):
        for index, (label, result) in enumerate(labelled):
            trace = result.trace(population, variable, int(neuron))
            ax.plot(trace.index, trace.to_numpy(), **_style(index), label=label)
        ax.set(ylabel=f"{variable} ({catalog.UNITS.get(variable, 'a.u.')})", title=f"{population}[{neuron}]")
        ax.legend(fontsize="small", loc="upper right")
    axes[-1, 0].set_xlabel("time (ms)")
    return fig


def distributions(labelled: Labelled, settings: CompareSettings) -> plt.Figure | None:
    """Empirical CDFs of per-neuron rates, ISI CVs and pairwise correlations, backends overlaid."""
    populations = [p for p in analysis.neuron_populations(labelled[0][1])
                   if analysis.population_size(labelled[0][1], p) >= settings.min_neurons_for_distributions]
    if not populations:
        return None
    fig, axes = plt.subplots(len(populations), 3, figsize=(12, 3 * len(populations)), squeeze=False,
                             constrained_layout=True)
    for row, population in zip(axes, populations):
        views = [(label, PopulationView(result, population, settings)) for label, result in labelled]
        active = _common_active(views, settings)
        samples = {"firing rate (Hz)": [v.rates for _, v in views],
                   "ISI CV (dimensionless)": [v.cvs for _, v in views],
                   f"spike-count correlation ({settings.correlation_bin_ms:g} ms bins)":
                       [v.correlations(active) for _, v in views]}
        for ax, (xlabel, values) in zip(row, samples.items()):
            for index, ((label, _), sample) in enumerate(zip(views, values)):
                _ecdf(ax, sample, index, label)
            ax.set(xlabel=xlabel, ylabel="fraction (cumulative)", title=population)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize="small", loc="lower right")
            else:
                ax.text(0.5, 0.5, "no values (too few spikes)", ha="center", va="center", transform=ax.transAxes)
    return fig


def _common_active(views: list, settings: CompareSettings) -> np.ndarray:
    counts = np.vstack([view.counts for _, view in views])
    return np.flatnonzero((counts > 0).all(axis=0))[: settings.max_correlation_neurons]


def _ecdf(ax: plt.Axes, values: np.ndarray, index: int, label: str) -> None:
    values = np.sort(np.asarray(values, dtype=float))
    if values.size:
        ax.step(values, np.arange(1, values.size + 1) / values.size, where="post", **_style(index), label=label)


_FIGURES = (
    ("rasters", rasters, "Spike rasters, side by side"),
    ("rates", rate_overlay, "Population rates, backends overlaid"),
    ("traces", trace_overlay, "Recorded traces, backends overlaid"),
    ("distributions", distributions, "Distributions compared by the KS and effect-size metrics"),
)


# ------------------------------------------------------------------------------------ support table

def support_table() -> pd.DataFrame:
    """What each registered backend supports: model × receptor pairs, synapses, stimuli, sources, connectors."""
    from .registry import capabilities

    caps = capabilities()
    items: list[tuple[str, str, Any, str]] = [
        ("model", f"{m}×{r}", (m, r), "pairs") for m in catalog.MEMBRANES for r in catalog.RECEPTORS]
    items += [("synapse", s, s, "synapses") for s in catalog.SYNAPSES]
    items += [("stimulus", s, s, "stimuli") for s in catalog.STIMULI]
    items += [("source", s, s, "sources") for s in catalog.SOURCES]
    items += [("connector", c, c, "connectors") for c in catalog.CONNECTORS]
    rows = [{"kind": kind, "item": name, **{b: "yes" if key in getattr(c, field) else "-" for b, c in caps.items()}}
            for kind, name, key, field in items]
    return pd.DataFrame(rows).set_index(["kind", "item"])


__all__ = ["write_report", "report_blocks", "to_markdown", "to_html", "verdict_table", "support_table"]
