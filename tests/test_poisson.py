"""Independent Poisson drive: a ``poisson`` source population projected ``one_to_one`` (PyNN's
``SpikeSourcePoisson``, NEST's ``poisson_generator`` onto many targets).

Realized: a count per step per neuron, stored as compact events, the same spikes on every backend.
Native: never realized; each simulator draws its own counts, statistically equal to the realized ones.
Truth comes from outside: the Poisson law (scipy), Campbell's theorem, the simulators themselves.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import neurobridge as nb
from neurobridge import resources
from neurobridge.errors import NativeFallbackWarning
from neurobridge.lowering import NativeSupport, lower
from neurobridge.realize import SpikeEvents, poisson_events, source

DT = 0.1


def drive(native: bool, n: int = 200, rate: float = 8000.0, duration: float = 500.0, weight: float = 120.0,
          start: float = 10.0, seed: int = 3) -> dict:
    """``n`` LIF neurons, each driven by its own Poisson train (one_to_one)."""
    return {"dt": DT, "duration": duration, "seed": seed,
            "populations": {"e": {"size": n, "model": "lif", "receptor": "current_exp", "params": {"tau_syn_ex": 0.5}},
                            "drive": {"size": n, "model": "poisson", "params": {"rate": rate, "start": start},
                                      "native": native}},
            "projections": [{"source": "drive", "target": "e", "connector": "one_to_one", "weight": weight,
                             "delay": 1.5, "native": native}],
            "recordings": [{"population": "e", "variables": ["spikes"]}]}


# -- the realized draw ---------------------------------------------------------------------------

@pytest.mark.parametrize("rate", [50.0, 3000.0, 20000.0, 294000.0])
def test_realized_counts_per_step_follow_the_poisson_law(rate: float) -> None:
    """Every (step, neuron) count is Poisson(rate dt): mean, variance and histogram (both draw paths)."""
    n, n_steps = 300, 4000
    events = poisson_events(np.full(n, rate), {}, DT, n_steps, np.random.default_rng(7))
    dense = np.zeros((n_steps + 1, n))
    dense[events.steps(), events.neurons] = events.counts
    cells = dense[1:].ravel()
    mean = rate * DT / 1000.0
    assert abs(cells.mean() - mean) < 5 * math.sqrt(mean / cells.size)
    assert cells.var() == pytest.approx(mean, rel=0.05)
    observed = np.bincount(cells.astype(np.int64))
    k = np.arange(observed.size)
    expected = stats.poisson.pmf(k, mean) * cells.size
    big = expected > 20
    chi2 = float(np.sum((observed[big] - expected[big]) ** 2 / expected[big]))
    assert stats.chi2.sf(chi2, max(int(big.sum()) - 1, 1)) > 1e-4


def test_per_neuron_rates_are_each_neurons_own() -> None:
    rates = np.linspace(0.0, 4000.0, 40)
    events = poisson_events(rates, {}, DT, 20000, np.random.default_rng(1))
    per_neuron = np.bincount(events.neurons, weights=events.counts, minlength=40) / 2.0  # 2 s
    assert per_neuron[0] == 0
    assert np.all(np.abs(per_neuron - rates) < 5 * np.sqrt(rates / 2.0) + 1e-9)


def test_spikes_lie_in_the_steps_whose_stamps_are_inside_start_stop() -> None:
    """NEST's window: stamps in ``(start, stop]``; the first at start + dt, the last at stop."""
    events = poisson_events(np.full(50, 50000.0), {"start": 10.0, "stop": 20.0}, DT, 300, np.random.default_rng(2))
    stamps = events.steps() * DT
    assert stamps.min() == pytest.approx(10.1) and stamps.max() == pytest.approx(20.0)
    assert np.unique(np.round(stamps / DT)).size == 100


def test_realized_spikes_are_stored_compactly() -> None:
    """Two spikes per step on average: a byte per (step, neuron) cell, a quarter of a byte per spike; the
    events, once asked for, at most 6 bytes each (int32 neuron, a small multiplicity); no float64 times."""
    network = nb.Network.from_dict(drive(False, n=1000, rate=20000.0, duration=1000.0))
    _, events = source(network, network.populations["drive"])
    assert events is not None and events.grid is not None and events.grid.dtype == np.uint8
    assert events.grid.shape == (9900, 1000)  # emitted from start (10 ms) to the end, one row per step
    assert events.n_spikes > 1.9e7 and events.nbytes / events.n_spikes < 0.52
    n_events = events.n_events
    assert events.neurons.dtype == np.int32 and events.counts.dtype == np.uint8
    assert events.neurons.size == n_events < events.n_spikes  # multiplicities
    assert (events.nbytes - events.grid.nbytes) / n_events < 6.0


def test_sparse_trains_are_kept_as_events_not_a_grid() -> None:
    """At 100 Hz (0.01 spikes per step) a grid of bytes would be 15 times the events' size."""
    events = poisson_events(np.full(1000, 100.0), {}, DT, 10000, np.random.default_rng(4))
    assert events.grid is None and 1000 * 10000 > 14 * events.nbytes
    assert (events.nbytes - events.pointer.nbytes) / events.n_events == 6.0  # int32 neuron, uint16 count


def test_a_grid_and_its_events_give_the_same_trains() -> None:
    """The grid's event arrays, its per-neuron trains and those of the same draw kept as events agree."""
    rates = np.r_[np.full(30, 20000.0), np.full(20, 5000.0)]
    grid = poisson_events(rates, {"start": 2.0}, DT, 400, np.random.default_rng(5))
    assert grid.grid is not None
    steps, counts, bounds = grid.by_neuron()
    cells = np.zeros((401, 50), dtype=np.int64)
    cells[steps, np.repeat(np.arange(50), np.diff(np.r_[0, bounds, steps.size]))] = counts
    np.testing.assert_array_equal(cells[21:], grid.grid)
    assert not cells[:21].any()
    events = SpikeEvents(50, DT, grid.pointer, grid.neurons, grid.counts)
    for got, expected in zip(events.by_neuron(), (steps, counts, bounds)):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(events.spikes()[1], grid.spikes()[1])


@pytest.mark.parametrize("rate", [20000.0, 294000.0])
def test_each_count_is_that_of_a_full_64_bit_uniform_number(rate: float) -> None:
    """Four cells share a 64-bit word (16 bits each); a cell whose 16 bits do not decide its count takes
    48 more bits of its own. Rebuilt here from the same stream and scipy's CDF, every count must be the
    one a full 64-bit uniform number gives; dropping the extra bits changes dozens of them."""
    n, n_steps, mean = 500, 1000, rate * DT / 1000.0
    events = poisson_events(np.full(n, rate), {}, DT, n_steps, np.random.default_rng(11))
    drawn = np.zeros((n_steps + 1, n), dtype=np.int64)
    drawn[events.steps(), events.neurons] = events.counts
    cdf = stats.poisson.cdf(np.arange(int(mean + 40 * math.sqrt(mean) + 40)), mean)
    thresholds = np.array([min(int(c * 2.0 ** 64), 2 ** 64 - 1) for c in cdf[cdf < 1.0]], dtype=np.uint64)
    bits = np.random.default_rng(11).bit_generator
    tops = bits.random_raw(n * n_steps // 4).view(np.uint16).astype(np.uint64) << np.uint64(48)
    low = np.searchsorted(thresholds, tops, side="right")
    open_bins = np.flatnonzero(low != np.searchsorted(thresholds, tops | np.uint64((1 << 48) - 1), side="right"))
    numbers = tops.copy()
    numbers[open_bins] |= bits.random_raw(open_bins.size) >> np.uint64(16)
    expected = np.searchsorted(thresholds, numbers, side="right")
    assert open_bins.size > 50 and np.count_nonzero(expected[open_bins] != low[open_bins]) > 20
    np.testing.assert_array_equal(drawn[1:].ravel(), expected)


# -- native means native -------------------------------------------------------------------------

def test_realizing_a_network_whose_sources_are_native_draws_nothing_for_them() -> None:
    network = nb.Network.from_dict(drive(True))
    realized = nb.realize(network)
    assert realized.populations["drive"].events is None
    assert realized.populations["drive"].spike_times.size == 0
    assert not realized.projections[0].drawn and realized.n_synapses == 0
    estimate = resources.estimate(network)
    assert not any("input spikes" in item or "synapses" in item for item in estimate.items)


def test_a_backend_without_native_poisson_draws_the_realized_spikes_at_lowering() -> None:
    """The fallback gets exactly the spikes and connections a realized run has."""
    native, realized = (nb.realize(nb.Network.from_dict(drive(flag))) for flag in (True, False))
    lowered = lower(native, NativeSupport(), "nothing")
    assert lowered.decisions["populations.drive"].how == "realized"
    reference = lower(realized)
    np.testing.assert_array_equal(lowered.sources["drive"].steps, reference.sources["drive"].steps)
    np.testing.assert_array_equal(lowered.sources["drive"].neurons, reference.sources["drive"].neurons)
    np.testing.assert_array_equal(lowered.pathways[0].post, reference.pathways[0].post)


def test_the_estimate_counts_a_native_source_the_backend_realizes() -> None:
    network = nb.Network.from_dict({**drive(True), "recordings": [{"population": "drive"}]})
    numpy_like = NativeSupport(sources=frozenset({"poisson"}), poisson_input=True, simulated_sources=False)
    assert "populations.drive: input spikes" in resources.estimate(network, native=numpy_like).items
    assert "populations.drive: input spikes" not in resources.estimate(network).items


def test_numpy_realizes_a_recorded_native_source_and_says_why() -> None:
    data = {**drive(True, duration=50.0), "recordings": [{"population": "drive"}]}
    with pytest.warns(NativeFallbackWarning) as caught:
        result = nb.simulate(data, "numpy")
    assert ("populations.drive.native: numpy generates a native Poisson source only as the input of unrecorded "
            "one_to_one or fixed_indegree projections; its realized spike trains are used.") in \
        [str(w.message) for w in caught]
    assert len(result.spikes) == nb.realize(nb.Network.from_dict(drive(False, duration=50.0))).populations[
        "drive"].spike_times.size


# -- across backends -----------------------------------------------------------------------------

def _run(data: dict, backend: str) -> nb.Result:
    with warnings.catch_warnings():
        warnings.simplefilter("error", NativeFallbackWarning)  # native must run natively
        return nb.simulate(data, backend)


@pytest.mark.requires_nest
@pytest.mark.requires_brian2
@pytest.mark.slow
def test_realized_drive_is_spike_for_spike_equal_on_numpy_nest_and_brian2() -> None:
    """Two spikes per step on average: NEST gets multiplicities, Brian2 layers, numpy its ring buffer."""
    data = drive(False, n=100, rate=20000.0, duration=200.0, weight=60.0)
    frames = {b: _run(data, b).spikes.sort_values(["time_ms", "neuron"]).reset_index(drop=True)
              for b in ("numpy", "nest", "brian2")}
    assert len(frames["numpy"]) > 500
    for backend in ("nest", "brian2"):
        assert frames[backend]["neuron"].tolist() == frames["numpy"]["neuron"].tolist()
        np.testing.assert_allclose(frames[backend]["time_ms"], frames["numpy"]["time_ms"], atol=1e-9)


def _rate_and_cv(result: nb.Result, n: int, seconds: float) -> tuple[float, float]:
    spikes = result.spikes.sort_values(["neuron", "time_ms"])
    intervals = [np.diff(g.to_numpy()) for _, g in spikes.groupby("neuron")["time_ms"]]
    intervals = np.concatenate([i for i in intervals if i.size])
    return len(spikes) / n / seconds, float(intervals.std() / intervals.mean())


@pytest.mark.requires_nest
@pytest.mark.requires_brian2
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["numpy", "nest", "brian2"])
def test_native_drive_has_the_rate_and_cv_of_the_realized_one(backend: str) -> None:
    """The same network natively (the simulator's own Poisson counts) and realized: rates within four
    standard errors, CV of the interspike intervals within 0.05."""
    n, duration = 200, 2000.0
    realized = _rate_and_cv(_run(drive(False, n=n, duration=duration, start=0.0), backend), n, duration / 1000)
    native = _rate_and_cv(_run(drive(True, n=n, duration=duration, start=0.0), backend), n, duration / 1000)
    spread = 4 * math.sqrt(realized[0] / (n * duration / 1000)) * max(realized[1], 0.3) * 2
    assert realized[0] > 20
    assert abs(native[0] - realized[0]) < spread, (native, realized)
    assert abs(native[1] - realized[1]) < 0.05, (native, realized)


@pytest.mark.requires_nest
@pytest.mark.requires_brian2
@pytest.mark.parametrize("backend", ["numpy", "nest", "brian2"])
@pytest.mark.parametrize("native", [True, False])
def test_mean_membrane_potential_under_a_294_khz_drive_is_campbells(backend: str, native: bool) -> None:
    """29.4 spikes per step: mean V_m - E_L = w rate tau_syn tau_m / C_m (Campbell's theorem),
    11.76 mV here; a source firing at most once per step gives 1/29.4 of it."""
    rate, weight, tau_syn, tau_m, c_m = 294000.0, 0.5, 2.0, 10.0, 250.0
    data = {"dt": DT, "duration": 300.0, "seed": 5,
            "populations": {"n": {"size": 20, "model": "lif", "receptor": "current_exp",
                                  "params": {"V_th": 1e6, "tau_syn_ex": tau_syn, "tau_m": tau_m, "C_m": c_m}},
                            "p": {"size": 20, "model": "poisson", "params": {"rate": rate}, "native": native}},
            "projections": [{"source": "p", "target": "n", "connector": "one_to_one", "weight": weight, "delay": 0.1,
                             "native": native}],
            "recordings": [{"population": "n", "variables": ["V_m"], "interval": 1.0}]}
    states = _run(data, backend).states
    settled = states[states.time_ms > 100.0]
    expected = weight * rate / 1000.0 * tau_syn * tau_m / c_m  # 11.76 mV
    assert settled.value.mean() - (-70.0) == pytest.approx(expected, rel=0.02)
