"""``neurobridge.testing`` as a third party uses it: its own test module subclasses the suite, collected and run
by pytest in a folder of its own (no neurobridge configuration, ``--strict-markers``).

The adapter is the reference re-registered under another name in a temporary registry, declaring only
``lif`` × ``current_exp`` / ``current_delta``, spike-time sources, static synapses, DC and steps: every other
pair, source, synapse and stimulus must be refused by validation with the documented text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

THIRD_PARTY = '''
import dataclasses

import pytest

from neurobridge.backends.numpy import NumpyBackend
from neurobridge.testing import BackendConformance, temporary_backend


class Small(NumpyBackend):
    name = "small"
    capabilities = dataclasses.replace(
        NumpyBackend.capabilities, pairs=frozenset({("lif", "current_exp"), ("lif", "current_delta")}),
        sources=frozenset({"spike_times"}), synapses=frozenset({"static"}), stimuli=frozenset({"dc", "step"}),
        connectors=frozenset({"one_to_one", "all_to_all"}))


@pytest.fixture(autouse=True)
def small_is_registered():
    with temporary_backend("small", Small):
        yield


class TestSmall(BackendConformance):
    backend = "small"
'''


def _installed() -> bool:
    """Whether pip installed the ``pytest11`` entry point (then pytest loads the plugin by itself)."""
    return any(ep.name == "neurobridge" for ep in entry_points(group="pytest11"))


def run_pytest(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).resolve().parents[1]
    path = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH"), str(root)) if p)
    plugin = [] if _installed() else ["-p", "neurobridge.testing.plugin"]
    return subprocess.run([sys.executable, "-m", "pytest", *plugin, "--strict-markers", "-p", "no:cacheprovider",
                           "-q", "-rs", *arguments], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"})


def test_a_third_party_subclass_is_collected_and_runs(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_small.py").write_text(THIRD_PARTY)
    out = run_pytest(tmp_path, "-m", "not slow")
    assert out.returncode == 0, out.stdout + out.stderr
    summary = out.stdout.strip().splitlines()[-1]
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|skipped|deselected|failed)", summary)}
    # Every pair twice (PSP, single neuron: 2 asked, 13 refused), the 3 membranes (LIF asked, 2 refused),
    # 2 synapses (static asked), 6 stimuli (2 asked), 3 sources (1 asked), equal taus, one-step delivery,
    # recordings, the feed-forward layer's undeclared current_alpha refused, the 4 AdEx delta kicks refused
    # (no adex); skipped, saying why: the steady
    # state twice, the feed-forward layer on the 2 declared pairs (no Poisson source); CUBA is slow.
    assert counts == {"passed": 15 + 15 + 3 + 2 + 6 + 3 + 1 + 1 + 1 + 1 + 4, "skipped": 4, "deselected": 1}, out.stdout
    assert "SKIPPED [2] " in out.stdout and "tsodyks_markram is not declared" in out.stdout
    assert "the feed-forward layer needs sources poisson, connectors fixed_indegree, which small does not declare" \
        in out.stdout


def test_the_plugin_declares_the_suites_marker(tmp_path: Path) -> None:
    """Without the plugin, ``--strict-markers`` refuses the suite's ``slow`` marker."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_small.py").write_text(THIRD_PARTY)
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "pytest", "--strict-markers", "-p", "no:neurobridge", "-p",
                          "no:cacheprovider", "--collect-only", "-q"], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(
                             p for p in (os.environ.get("PYTHONPATH"), str(root)) if p)})
    assert "'slow' not found in `markers` configuration option" in out.stdout + out.stderr
    collected = run_pytest(tmp_path, "--collect-only")
    assert collected.returncode == 0, collected.stdout + collected.stderr


def test_the_plugin_is_a_pytest11_entry_point() -> None:
    """What pip installs: ``pytest11: neurobridge = neurobridge.testing.plugin`` (pytest loads it by itself)."""
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert project["project"]["entry-points"]["pytest11"] == {"neurobridge": "neurobridge.testing.plugin"}
