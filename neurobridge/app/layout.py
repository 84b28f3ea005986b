"""Hydra's folders as neurobridge reads them, and the comparison of a folder with its report.

A Hydra job folder holds ``.hydra/`` (the composed config and ``overrides.yaml``) from the moment
Hydra creates it: a folder with ``.hydra/`` and no ``job.json`` is a job that did not finish. The core
(:mod:`neurobridge.gather`) knows only its own records; this module gives it Hydra's markers, and
writes the report between the tables and the verdict (:func:`compare_folder`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from ..compare import CompareSettings, Comparison, compare_gathered, write_comparison
from ..errors import InvalidValueError
from ..gather import Layout, gather
from ..manifests import JOB_FILE
from ..report import write_report


def hydra_overrides(job: Path) -> list[str] | None:
    """The overrides Hydra recorded for a job (``.hydra/overrides.yaml``), if any."""
    path = job / ".hydra" / "overrides.yaml"
    return (yaml.safe_load(path.read_text()) or []) if path.is_file() else None


#: Job folders as Hydra and neurobridge's runner leave them.
HYDRA = Layout(markers=(".hydra", JOB_FILE), overrides=hydra_overrides)


def compare_folder(directory: str | Path, settings: CompareSettings | None = None,
                   report: bool = True, stage: Callable[[str], None] | None = None) -> Comparison:
    """Compare the runs under ``directory`` (Hydra's layout) and write tables, report and verdict there.

    ``stage`` hears a line as each step begins (gathering, comparing, the report, the verdict).
    """
    say = stage or (lambda text: None)
    directory = Path(directory)
    say(f"gathering the runs in {directory}")
    gathered = gather(directory, HYDRA)
    if gathered.empty:
        raise InvalidValueError(f"No neurobridge results (meta.json) under {directory}.")
    say(f"comparing {len(gathered.runs)} runs")
    comparison = compare_gathered(gathered, settings)

    def reported(comparison: Comparison, directory: Path) -> None:
        say(f"writing the report ({len(comparison.groups)} sweep points)")
        write_report(comparison, directory)
        say("writing the verdict")

    say("writing summary.parquet and comparison.csv")
    write_comparison(comparison, directory, reported if report else None)
    return comparison


__all__ = ["HYDRA", "compare_folder", "hydra_overrides"]
