"""Simulated time over the total while a run goes on, from each backend's own loop (issue 13, item 3).

The reporter prints after ``after`` seconds at most every ``period`` seconds; here both are 0, so every
report the loop makes is printed. Reporting never changes a result.
"""

from __future__ import annotations

import io
import re

import pytest

import neurobridge as nb
from neurobridge import progress
from neurobridge.lowering import lower
from neurobridge.registry import get_backend
from neurobridge.testing import networks

NETWORK = {"dt": 0.1, "duration": 300.0, "seed": 2,
           "populations": {"n": {"size": 5, "model": "lif", "params": {"I_e": 400.0}}}}
LINE = re.compile(r"^neurobridge: simulated (\d+) of 300 ms \((\d+)%\), \d+ s elapsed, (ETA \d+ s|done)$")


def _run(backend: str, stream: io.StringIO) -> nb.Result:
    network = nb.Network.from_dict(NETWORK)
    adapter = get_backend(backend)
    lowered = lower(nb.realize(network), adapter.capabilities.native, backend)
    with progress.reporting(network.duration, True, stream=stream, after=0.0, period=0.0):
        adapter().run(lowered, **adapter.capabilities.defaults())
    return nb.simulate(network, backend)


def _lines(stream: io.StringIO) -> list[tuple[int, int]]:
    found = [LINE.match(line) for line in stream.getvalue().splitlines()]
    assert all(found), stream.getvalue()
    return [(int(m.group(1)), int(m.group(2))) for m in found if m]


def test_numpy_reports_every_1000_steps() -> None:
    stream = io.StringIO()
    _run("numpy", stream)
    assert _lines(stream) == [(100, 33), (200, 67)]


@pytest.mark.requires_brian2
def test_brian2_hands_its_run_reports_over() -> None:
    stream = io.StringIO()
    _run("brian2", stream)
    assert _lines(stream)[-1] == (300, 100)


@pytest.mark.requires_nest
def test_nest_prints_its_own_progress_line(capfd: pytest.CaptureFixture[str]) -> None:
    _run("nest", io.StringIO())
    assert "[ 100% ] Model time: 300.0 ms" in capfd.readouterr().out


def test_a_short_run_and_an_unwatched_run_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    nb.simulate(NETWORK, "numpy", report_progress=True)  # watched, but quiet for the first 3 s
    nb.simulate(NETWORK, "numpy")
    assert capfd.readouterr().err == ""


@pytest.mark.requires_neuron
def test_neuron_runs_in_twenty_pieces_when_watched() -> None:
    stream = io.StringIO()
    _run("neuron", stream)
    assert [t for t, _ in _lines(stream)] == list(range(15, 301, 15))


@pytest.mark.parametrize("backend", ["numpy", pytest.param("nest", marks=pytest.mark.requires_nest),
                                     pytest.param("brian2", marks=pytest.mark.requires_brian2),
                                     pytest.param("neuron", marks=pytest.mark.requires_neuron)])
def test_reporting_does_not_change_the_result(backend: str) -> None:
    """A recurrent network (CUBA at 400 neurons): spikes in flight across NEURON's pieces."""
    network = networks.cuba(400, 300.0)
    quiet = nb.simulate(network, backend)
    watched = nb.simulate(network, backend, report_progress=True)  # NEST's print_time, Brian2's report on
    assert len(quiet.spikes) > 100
    assert quiet.spikes.equals(watched.spikes)
