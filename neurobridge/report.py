"""The validation report: ``report.md`` and the same as ``report.html``, with its figures.

The report is a list of blocks (headings, text, tables, figures) rendered twice,
as Markdown and as HTML, so the two always say the same. It holds the verdict
table (failures first), the runs' metadata (versions, sizes, wall times), and
per sweep point and variant: rasters side by side, population-rate overlays,
trace overlays and the distributions the KS metrics compare. Units on every axis.
"""

from __future__ import annotations

import base64
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
MAX_FIGURE_GROUPS = 12
#: The experiment's own figures are embedded for at most this many jobs.
MAX_EXPERIMENT_FIGURES = 24
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


def to_html(blocks: Iterable[Block], title: str, directory: Path | None = None) -> str:
    """The blocks as a standalone HTML page; with ``directory`` (the report's folder) every image is
    embedded (a base64 data URI), so the page is one file to send."""
    body = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Text):
            body.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Table):
            body.append(block.frame.to_html(index=False, na_rep="", border=0, classes="table"))
        else:
            body.append(f'<figure><img src="{_source(block.path, directory)}" alt="{html.escape(block.caption)}">'
                        f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #ccc;padding:2px 6px}"
             "img{max-width:100%}figcaption{font-style:italic;color:#444}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _source(path: str, directory: Path | None) -> str:
    """The image itself as a data URI (``directory`` given and the file there), else its relative path."""
    file = None if directory is None else directory / path
    if file is None or not file.is_file():
        return html.escape(path)
    return "data:image/png;base64," + base64.b64encode(file.read_bytes()).decode("ascii")


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
    write_file(directory / "report.html", to_html(blocks, title, directory))
    return directory / "report.md"


def _experiment(comparison: Comparison) -> str:
    names = sorted({str(r.result.meta.get("experiment") or r.result.meta.get("name")) for r in comparison.runs})
    return ", ".join(names) or "no runs"


def report_blocks(comparison: Comparison, directory: Path) -> list[Block]:
    """Everything the report says, in order."""
    blocks: list[Block] = [Heading(f"neurobridge validation: {_experiment(comparison)}", 1)]
    blocks += _verdict_blocks(comparison)
    blocks += [Heading("Runs"), Table(runs_table(comparison))]
    blocks += sweep_blocks(comparison, directory)
    blocks += experiment_figure_blocks(comparison, directory)
    for index, group in enumerate(sweep_order(comparison.groups)[:MAX_FIGURE_GROUPS]):
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
    """Every run: label, swept values, mean rate and ISI CV per population, versions, sizes, time step,
    wall times."""
    rows = []
    for run in comparison.runs:
        meta = run.result.meta
        statistics = {}
        for population in analysis.neuron_populations(run.result):
            view = PopulationView(run.result, population, comparison.settings)
            statistics[f"{population} rate (Hz)"] = _number(float(view.rates.mean()))
            statistics[f"{population} CV"] = _number(float(view.cvs.mean())) if view.cvs.size else ""
        rows.append({
            "label": run.label, **{parameter_name(k): run.overrides.get(k) for k in comparison.sweep_keys},
            "variant": run.variant, **statistics, "simulator": meta.get("simulator_version"),
            "neurons": meta.get("n_neurons"), "synapses": meta.get("n_synapses"),
            "dt (ms)": meta.get("dt_ms"), "duration (ms)": meta.get("duration_ms"),
            "realize (s)": _number(meta.get("realize_seconds")), "build (s)": _number(meta.get("build_seconds")),
            "run (s)": _number(meta.get("run_seconds")), "model hash": meta.get("model_hash"),
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

def parameter_name(key: str) -> str:
    """A swept key as a caption names it: ``parameters.g`` is ``g``, ``model.dt`` is ``dt``."""
    return key.removeprefix("model.").removeprefix("parameters.")


def _sort_key(value: Any) -> tuple[int, float, str]:
    """Numbers in numeric order, before text in text order."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _values_key(values: tuple[Any, ...]) -> tuple[tuple[int, float, str], ...]:
    return tuple(_sort_key(v) for v in values)


def sweep_order(groups: Sequence[Group]) -> list[Group]:
    """The sweep points in the order of their values (the first swept key first)."""
    return sorted(groups, key=lambda g: tuple(_sort_key(v) for v in g.values.values()))


#: Metrics of the summary table drawn against each swept parameter: column, axis label.
SWEEP_METRICS = (("rate_hz", "mean firing rate (Hz)", "Mean firing rate"),
                 ("cv_isi_mean", "mean ISI CV (dimensionless)", "Mean ISI CV"))


def sweep_blocks(comparison: Comparison, directory: Path) -> list[Block]:
    """For a sweep: per swept parameter and metric, the metric against the parameter, backends overlaid."""
    if not comparison.sweep_keys or not comparison.runs:
        return []
    from .compare import summary_table

    summary = summary_table(comparison.runs, comparison.sweep_keys)
    blocks: list[Block] = [Heading("Across the sweep")]
    for key in comparison.sweep_keys:
        for column, label, name in SWEEP_METRICS:
            figure = sweep_figure(summary, key, [k for k in comparison.sweep_keys if k != key], column, label)
            if figure is None:
                continue
            path = f"figures/sweep_{_slug(parameter_name(key))}_{column}.png"
            try:
                with writing(directory / path):
                    figure.savefig(directory / path, dpi=100)
            finally:
                plt.close(figure)
            blocks.append(Figure(path, f"{name} against {parameter_name(key)}, "
                                       f"one panel per population, backends overlaid ({key})"))
    return blocks


def sweep_figure(summary: pd.DataFrame, key: str, others: Sequence[str], column: str,
                 label: str) -> plt.Figure | None:
    """``column`` against the swept ``key``: one panel per population (and variant), one line per backend
    (and value of the other swept keys), points in the order of ``key``'s values."""
    rows = summary.dropna(subset=[column])
    if rows.empty:
        return None
    panels = list(dict.fromkeys(zip(rows.variant, rows.population)))
    several_variants = len({v for v, _ in panels}) > 1
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False,
                             constrained_layout=True)
    values = sorted(set(rows[key]), key=_sort_key)
    numeric = all(_sort_key(v)[0] == 0 for v in values)
    for ax, (variant, population) in zip(axes[0], panels):
        panel = rows[(rows.variant == variant) & (rows.population == population)]
        backends = list(dict.fromkeys(rows.backend))
        settings = sorted({tuple(v) for v in panel[list(others)].itertuples(index=False)}, key=_values_key)
        for (backend, *rest), points in panel.groupby(["backend", *others], sort=False):
            # a colour per value of the other swept keys, a line style and marker per backend
            line, shade = backends.index(backend), settings.index(tuple(rest)) if others else 0
            text = ", ".join([str(backend), *(f"{parameter_name(k)}={v}" for k, v in zip(others, rest))])
            points = points.assign(_order=points[key].map(_sort_key)).sort_values("_order")
            x = points[key].astype(float) if numeric else points[key].map(values.index)
            # the first backend's markers hollow, so another's that coincide show inside them
            ax.plot(x, points[column], marker="ox^s"[line % 4], ms=10 if line == 0 else 6,
                    mfc="none" if line == 0 else None, mew=1.5, label=text,
                    **{**_style(line), "color": _color(shade) if others else _color(line)})
        _theory_lines(ax, panel, key, others, column, settings, values, numeric)
        if not numeric:
            ax.set_xticks(range(len(values)), [str(v) for v in values])
        ax.set(xlabel=parameter_name(key), ylabel=label,
               title=f"{variant}: {population}" if several_variants else population)
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        ax.legend(fontsize="small")
    return fig


def _theory_lines(ax: plt.Axes, panel: pd.DataFrame, key: str, others: Sequence[str], column: str,
                  settings: list[tuple], values: list, numeric: bool) -> None:
    """The experiment's prediction of ``column`` (``theory_<column>``), one grey line per setting of the
    other swept keys, under the backends' points: the same for every backend, so drawn once."""
    predicted = f"theory_{column}"
    if predicted not in panel.columns or panel[predicted].isna().all():
        return
    rows = panel.dropna(subset=[predicted]).drop_duplicates(subset=[key, *others])
    for rest, points in (rows.groupby(list(others), sort=False) if others else [((), rows)]):
        rest = rest if isinstance(rest, tuple) else (rest,)
        points = points.assign(_order=points[key].map(_sort_key)).sort_values("_order")
        x = points[key].astype(float) if numeric else points[key].map(values.index)
        text = ", ".join(["theory", *(f"{parameter_name(k)}={v}" for k, v in zip(others, rest))])
        shade = _color(settings.index(tuple(rest))) if others else "0.35"
        ax.plot(x, points[predicted], color=shade, lw=3.0, alpha=0.35, zorder=0, label=text)


def experiment_figure_blocks(comparison: Comparison, directory: Path) -> list[Block]:
    """The experiment's own figures (``<job>/<plot>.png``), per job in sweep order."""
    jobs: dict[Path, Any] = {}
    for group in sweep_order(comparison.groups):
        order = group.labels(comparison.settings.reference)
        for run in sorted(group.runs, key=lambda r: order.index(r.label) if r.label in order else len(order)):
            jobs.setdefault(run.job, (group, run))
    blocks: list[Block] = []
    for job, (group, run) in list(jobs.items())[:MAX_EXPERIMENT_FIGURES]:
        point = ", ".join(f"{parameter_name(k)}={v}" for k, v in group.values.items())
        for png in sorted(job.glob("*.png")):
            try:
                relative = png.resolve().relative_to(directory.resolve()).as_posix()
            except ValueError:
                relative = str(png.resolve())
            where = " / ".join(p for p in (point, run.backend) if p)
            blocks.append(Figure(relative, f"Experiment figure {png.stem} ({where})"))
    if blocks:
        blocks.insert(0, Heading("Experiment figures"))
    return blocks


def _group_blocks(comparison: Comparison, group: Group, index: int, directory: Path) -> list[Block]:
    point = ", ".join(f"{parameter_name(k)}={v}" for k, v in group.values.items())
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


#: Runs longer than this (ms) get a second row of rasters zoomed onto their last :data:`ZOOM_MS`.
ZOOM_AFTER_MS = 500.0
ZOOM_MS = 200.0


def rasters(labelled: Labelled, settings: CompareSettings) -> plt.Figure:
    """One raster per backend, side by side, same axes; a long run adds a row zoomed onto its end."""
    duration = float(labelled[0][1].meta["duration_ms"])
    zoom = duration > ZOOM_AFTER_MS
    fig, axes = plt.subplots(2 if zoom else 1, len(labelled), figsize=(4.5 * len(labelled), 7.2 if zoom else 3.8),
                             sharey=True, squeeze=False, constrained_layout=True)
    for column, (label, result) in enumerate(labelled):
        raster(result, ax=axes[0, column], title=label, max_neurons=200)
        if zoom:
            raster(result, ax=axes[1, column], title=f"{label}: the last {ZOOM_MS:g} ms", max_neurons=200)
            axes[1, column].set_xlim(duration - ZOOM_MS, duration)
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
            ax.ticklabel_format(axis="x", useOffset=False)  # all-zero CVs read 0, not 1e-15 + offset
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
