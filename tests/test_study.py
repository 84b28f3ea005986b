"""A scientist's own study, end to end: a model file of one's own, parameters swept, the report, progress.

The subprocesses run from a folder outside the package (``tmp_path``) with this checkout's code
(``PYTHONPATH``), as a user runs ``neurobridge`` on their own files.
"""

from __future__ import annotations

import base64
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import neurobridge as nb
from neurobridge.app.job import prepare
from neurobridge.app.plan import check_jobs, compose_config
from neurobridge.app.sources import ConfigSource
from neurobridge.errors import InvalidValueError
from neurobridge.progress import Progress

#: Brunel (2000) model A cut down: 200 + 50 LIF neurons with delta synapses, independent Poisson drive
#: at eta times the threshold rate, 200 ms.
BRUNEL = """\
name: brunel
parameters: {N_E: 200, N_I: 50, epsilon: 0.1, J: 0.1, g: 5, eta: 2, D: 1.5, tau_m: 20.0, theta: 20.0,
             C_E: epsilon * N_E, C_I: epsilon * N_I, nu_thr: 1000 * theta / (J * C_E * tau_m)}
dt: 0.1
duration: 200.0
seed: 1
populations:
  exc: {size: N_E, model: lif, receptor: current_delta,
        params: &lif {C_m: 250.0, tau_m: tau_m, E_L: 0.0, V_th: theta, V_reset: 10.0, t_ref: 2.0}}
  inh: {size: N_I, model: lif, receptor: current_delta, params: *lif}
  noise_e: {size: N_E, model: poisson, params: {rate: eta * nu_thr * C_E}}
  noise_i: {size: N_I, model: poisson, params: {rate: eta * nu_thr * C_E}}
projections:
  - {source: exc, target: exc, connector: {fixed_indegree: round(C_E)}, weight: J, delay: D}
  - {source: exc, target: inh, connector: {fixed_indegree: round(C_E)}, weight: J, delay: D}
  - {source: inh, target: exc, connector: {fixed_indegree: round(C_I)}, weight: -g * J, delay: D}
  - {source: inh, target: inh, connector: {fixed_indegree: round(C_I)}, weight: -g * J, delay: D}
  - {source: noise_e, target: exc, connector: one_to_one, weight: J, delay: D}
  - {source: noise_i, target: inh, connector: one_to_one, weight: J, delay: D}
recordings:
  - {population: exc, variables: [spikes]}
  - {population: inh, variables: [spikes]}
"""


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A user's folder: ``nets/brunel.yaml`` and ``conf/model/brunel.yaml`` (for ``--config-dir conf``)."""
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "brunel.yaml").write_text(BRUNEL)
    (tmp_path / "conf" / "model").mkdir(parents=True)
    (tmp_path / "conf" / "model" / "brunel.yaml").write_text(BRUNEL)
    return tmp_path


def environment() -> dict[str, str]:
    """This checkout's code first, one thread, no colours."""
    root = str(Path(nb.__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
            "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}


def neurobridge(cwd: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "neurobridge.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=environment())


def on_terminal(cwd: Path, *args: str, timeout: float = 600) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as its standard input, output and error."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "neurobridge.cli", *args], cwd=cwd, env=environment(),
                               stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    return process.wait(timeout=timeout), output.decode(errors="replace").replace("\r\n", "\n")


# ------------------------------------------------------------------------------- own model files

def test_a_model_file_by_path_is_the_model_and_names_the_generic_experiment(study: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(study)
    for option in ("nets/brunel.yaml", str(study / "nets" / "brunel.yaml")):
        job = prepare(compose_config([f"model={option}", "backend=numpy"]))
        assert job.setup.name == "brunel" and job.experiment.name == "generic"
        assert job.networks["brunel"] == nb.load(study / "nets" / "brunel.yaml")
        assert job.plots == ["raster", "rate_histogram"]


def test_config_dir_is_searched_by_the_checks_too(study: Path) -> None:
    source = ConfigSource(extra_dir=str(study / "conf"))
    config = compose_config(["model=brunel", "backend=numpy"], hydra_node=True, source=source)
    assert config.experiment.name == "brunel"
    assert str(config.hydra.run.dir).startswith("results/brunel/")


def test_config_path_replaces_the_shipped_tree(study: Path) -> None:
    import shutil
    from importlib import resources

    tree = study / "tree"
    shutil.copytree(str(resources.files("neurobridge.conf")), tree)
    (tree / "model" / "mine.yaml").write_text(BRUNEL.replace("name: brunel", "name: mine"))
    config = compose_config(["model=mine", "backend=numpy"], source=ConfigSource(path=str(tree)))
    assert config.experiment.name == "mine" and config.model.parameters.g == 5


def test_a_swept_parameter_reaches_the_network(study: Path) -> None:
    jobs = check_jobs(["model=brunel", "backend=numpy", "parameters.g=4,6"], multirun=True,
                      source=ConfigSource(extra_dir=str(study / "conf")))
    weights = [job.networks["brunel"].projections[2].weight for job in jobs]
    assert weights == pytest.approx([-0.4, -0.6])  # -g * J with J = 0.1


def test_a_missing_model_file_is_named(study: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(study)
    with pytest.raises(InvalidValueError) as error:
        compose_config(["model=nets/nope.yaml"])
    assert str(error.value) == (
        f"model=nets/nope.yaml: no such file ({study / 'nets' / 'nope.yaml'}). A value ending in .yaml is read as "
        f"a network description from that path; a shipped model is named without the ending (model=cuba).")


def test_a_missing_config_dir_is_named_for_validate_too(study: Path) -> None:
    done = neurobridge(study, "validate", "--config-dir", "nowhere", "model=brunel")
    assert done.returncode == 2
    assert done.stderr.strip() == f"neurobridge: error: --config-dir nowhere: no such folder ({study / 'nowhere'})."


# ------------------------------------------------------------------------------------- progress

def test_jobs_line_counts_and_estimates_from_the_jobs_done() -> None:
    now = [100.0]
    progress = Progress(total=4, enabled=False, clock=lambda: now[0])
    now[0] = 130.0
    progress.job_done()
    assert progress.jobs_line() == "jobs 1/4 (25%), 30 s elapsed, ETA 1 min 30 s"
    now[0] = 220.0
    progress.done = 4
    assert progress.jobs_line() == "jobs 4/4 (100%), 2 min 0 s elapsed, done"


def test_progress_shows_on_a_terminal_and_not_in_a_pipe(study: Path) -> None:
    arguments = ["run", "-m", "model=nets/brunel.yaml", "backend=numpy", "parameters.g=4,6", "model.duration=20"]
    status, output = on_terminal(study, *arguments, "hydra.sweep.dir=tty")
    assert status == 0, output
    lines = [line for line in output.splitlines() if line.startswith("neurobridge: ")]
    assert lines[0].startswith("neurobridge: jobs 1/2 (50%), ") and " elapsed, ETA " in lines[0]
    assert lines[0].endswith(": model=nets/brunel.yaml backend=numpy model.parameters.g=4 model.duration=20")
    assert lines[1].startswith("neurobridge: jobs 2/2 (100%), ") and ", done: " in lines[1]
    assert lines[2:] == ["neurobridge: gathering the runs in tty", "neurobridge: comparing 2 runs",
                         "neurobridge: writing summary.parquet and comparison.csv",
                         "neurobridge: writing the report (2 sweep points)", "neurobridge: writing the verdict"]
    quiet_status, quiet = on_terminal(study, *arguments, "hydra.sweep.dir=quiet", "progress=false")
    assert quiet_status == 0 and "neurobridge: jobs" not in quiet and "neurobridge: gathering" not in quiet
    piped = neurobridge(study, *arguments, "hydra.sweep.dir=piped")
    assert piped.returncode == 0 and "neurobridge: jobs" not in piped.stderr + piped.stdout


# --------------------------------------------------------------------------- the whole study

@pytest.mark.slow
@pytest.mark.requires_nest
def test_a_users_brunel_sweep_on_numpy_and_nest_reports_itself(study: Path) -> None:
    done = neurobridge(study, "run", "-m", "model=nets/brunel.yaml", "backend=numpy,nest", "parameters.g=4,6",
                       "parameters.eta=1.5,2")
    assert done.returncode == 0, done.stderr
    folders = list((study / "results" / "brunel").glob("*/*_multirun"))
    assert len(folders) == 1  # named after the model
    folder = folders[0]
    summary = pd.read_parquet(folder / "summary.parquet")
    assert {"backend", "parameters.g", "parameters.eta", "population", "rate_hz", "cv_isi_mean"} <= set(summary)
    assert len(summary) == 2 * 2 * 2 * 2  # backends × g × eta × populations
    assert set(summary["parameters.g"]) == {4, 6} and set(summary["parameters.eta"]) == {1.5, 2}
    rates = summary.pivot_table(index=["parameters.g", "parameters.eta", "population"], columns="backend",
                                values="rate_hz")
    # the same realized network: NEST reproduces the reference spike for spike, so the rates are equal
    assert rates["nest"].to_numpy() == pytest.approx(rates["numpy"].to_numpy(), rel=1e-12)
    exc = rates["numpy"].xs("exc", level="population")
    assert exc[(6, 2)] < exc[(4, 2)] and exc[(4, 1.5)] < exc[(4, 2)]  # more inhibition, less drive: lower rates
    verdict = json.loads((folder / "verdict.json").read_text())
    assert verdict["passed"] is True
    page = (folder / "report.html").read_text()
    assert "<title>neurobridge validation: brunel</title>" in page
    for parameter in ("g", "eta"):
        figure = folder / "figures" / f"sweep_{parameter}_rate_hz.png"
        embedded = base64.b64encode(figure.read_bytes()).decode()
        assert f'src="data:image/png;base64,{embedded}"' in page
        assert f"Mean firing rate against {parameter}, one panel per population, backends overlaid" in page
    assert 'src="figures/' not in page and "Experiment figure raster (g=4, eta=1.5 / numpy)" in page
