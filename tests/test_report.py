"""neurobridge.report: Markdown and HTML say the same, figures exist, the support table is data."""

from __future__ import annotations

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
    for name in figures:
        assert f"figures/{name}" in markdown and f'src="figures/{name}"' in page


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
