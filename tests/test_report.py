"""neurobridge.report: Markdown and HTML say the same, figures exist, the support table is data."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
import pytest

import neurobridge as nb
from neurobridge import report
from neurobridge.app.layout import compare_folder
from neurobridge.results import Result


@pytest.fixture(scope="module")
def comparison_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("runs")
    cuba = nb.load(Path(nb.__file__).parent.parent / "conf" / "model" / "cuba.yaml").to_dict()
    cuba["populations"]["exc"]["size"], cuba["populations"]["inh"]["size"], cuba["duration"] = 160, 40, 200.0
    for tau_m, backend in ((20.0, "numpy"), (20.0, "copy"), (16.0, "slow")):
        cuba["populations"]["exc"]["params"]["tau_m"] = tau_m
        result = nb.simulate(cuba, "numpy")
        result = Result(result.spikes, result.states, {**result.meta, "backend": backend, "variant": "cuba",
                                                       "experiment": "cuba", "overrides": [f"backend={backend}"]})
        result.save(directory / backend)
    compare_folder(directory)
    return directory


def test_markdown_and_html_reports_hold_the_verdict_and_figures(comparison_directory: Path) -> None:
    markdown = (comparison_directory / "report.md").read_text()
    page = (comparison_directory / "report.html").read_text()
    assert markdown.startswith("# neurobridge validation: cuba")
    assert "**Verdict: FAIL**" in markdown and "<strong>Verdict: FAIL</strong>" in page
    assert "numpy vs slow" in markdown and "numpy vs slow" in page
    figures = sorted(p.name for p in (comparison_directory / "figures").glob("*.png"))
    assert figures == ["00_cuba_distributions.png", "00_cuba_rasters.png", "00_cuba_rates.png",
                       "00_cuba_traces.png"]
    for name in figures:  # the page is one file: every image embedded
        embedded = base64.b64encode((comparison_directory / "figures" / name).read_bytes()).decode()
        assert f"figures/{name}" in markdown and f'src="data:image/png;base64,{embedded}"' in page
    assert 'src="figures/' not in page


def test_the_runs_table_gives_rates_and_cvs(comparison_directory: Path) -> None:
    markdown = (comparison_directory / "report.md").read_text()
    header = next(line for line in markdown.splitlines() if line.startswith("| label | variant"))
    assert "| exc rate (Hz) | exc CV | inh rate (Hz) | inh CV |" in header


def test_a_sweep_figure_draws_each_backend_in_the_order_of_the_swept_values() -> None:
    rows = [{"backend": backend, "parameters.g": g, "variant": "net", "population": "exc",
             "rate_hz": 100.0 / g + (backend == "nest"), "cv_isi_mean": 0.1}
            for backend in ("numpy", "nest") for g in (6, 4, 5)]
    figure = report.sweep_figure(pd.DataFrame(rows), "parameters.g", [], "rate_hz", "mean firing rate (Hz)")
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.lines] == ["numpy", "nest"]
    assert list(ax.lines[0].get_xdata()) == [4.0, 5.0, 6.0]
    assert list(ax.lines[1].get_ydata()) == pytest.approx([26.0, 21.0, 100.0 / 6 + 1])
    assert ax.get_xlabel() == "g" and ax.get_ylabel() == "mean firing rate (Hz)"


def test_a_sweep_figure_draws_the_experiments_theory_once_under_the_backends() -> None:
    rows = [{"backend": backend, "parameters.g": g, "variant": "net", "population": "exc",
             "rate_hz": 100.0 / g + (backend == "nest"), "theory_rate_hz": 90.0 / g, "cv_isi_mean": 0.1}
            for backend in ("numpy", "nest") for g in (6, 4, 5)]
    figure = report.sweep_figure(pd.DataFrame(rows), "parameters.g", [], "rate_hz", "mean firing rate (Hz)")
    ax = figure.axes[0]
    assert [line.get_label() for line in ax.lines] == ["numpy", "nest", "theory"]
    theory = ax.lines[2]
    assert list(theory.get_xdata()) == [4.0, 5.0, 6.0] and list(theory.get_ydata()) == [22.5, 18.0, 15.0]
    assert theory.get_zorder() < ax.lines[0].get_zorder()
    cv = report.sweep_figure(pd.DataFrame(rows), "parameters.g", [], "cv_isi_mean", "mean ISI CV")
    assert [line.get_label() for line in cv.axes[0].lines] == ["numpy", "nest"]  # no prediction of CVs


def test_failures_come_first_and_name_population_and_metric(comparison_directory: Path) -> None:
    table = pd.read_csv(comparison_directory / "comparison.csv")
    shown = report.verdict_table(table.assign(passed=table.passed.astype("boolean")))
    assert shown.outcome.iloc[0] == "FAIL"
    failed = shown[shown.outcome == "FAIL"]
    assert "exc" in set(failed.population) and "rate_rel_diff" in set(failed.metric)
    assert set(failed.backend_b) == {"slow"}


def test_verdict_matrix_has_one_column_per_pair(comparison_directory: Path) -> None:
    table = pd.read_csv(comparison_directory / "comparison.csv")
    matrix = report.verdict_matrix(table.assign(passed=table.passed.astype("boolean")))
    assert list(matrix.columns[-3:]) == ["numpy vs copy", "numpy vs slow", "copy vs slow"]
    assert matrix.set_index(["population", "metric"]).loc[("exc", "rate_rel_diff"), "numpy vs copy"] == "0"


def test_markdown_tables_escape_pipes() -> None:
    text = report.to_markdown([report.Table(pd.DataFrame({"a": ["x|y"], "b": [None]}))])
    assert text.splitlines()[2] == "| x\\|y |  |"


def test_support_table_lists_every_backend_and_model_pair() -> None:
    table = report.support_table()
    assert list(table.columns[:1]) == ["numpy"]
    assert table.loc[("model", "izhikevich×conductance_exp"), "numpy"] == "yes"
    assert {"model", "synapse", "stimulus", "source", "connector"} == set(table.index.get_level_values(0))
