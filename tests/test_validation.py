"""One validation, in the core: every defect of "Trustworthy verdicts" refused at description time, its
text pinned; connectivity that keeps its own rules; a memory estimate before anything is allocated;
and divergence reported, never a silent NaN."""

from __future__ import annotations

import contextlib
import copy
import math
import tracemalloc
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neurobridge as nb
from neurobridge import resources
from neurobridge.errors import InvalidValueError, SimulationDivergedError, UnknownNameError


@contextlib.contextmanager
def allocates_at_most(mib: float) -> Iterator[None]:
    """The block allocates at most ``mib`` MiB at its peak (Python's allocations, traced): a refusal before any
    allocation, whatever the machine's load (the networks refused here would need gigabytes)."""
    tracemalloc.start()
    try:
        yield
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < mib * 2**20, f"allocated {peak / 2**20:.1f} MiB at its peak"

BASE: dict[str, Any] = {
    "dt": 0.1, "duration": 100.0, "seed": 1,
    "populations": {
        "src": {"size": 5, "model": "spike_times", "params": {"times": [1.0, 2.0]}},
        "exc": {"size": 5, "model": "lif", "receptor": "current_exp", "params": {"I_e": 450.0}},
        "ad": {"size": 2, "model": "adex", "receptor": "conductance_exp"},
    },
    "projections": [
        {"source": "src", "target": "exc", "connector": {"fixed_indegree": 2}, "weight": 50.0, "delay": 1.0},
        {"source": "exc", "target": "exc", "connector": {"fixed_total_number": 3}, "weight": 10.0, "delay": 1.0,
         "synapse": {"tsodyks_markram": {"U": 0.4}}},
    ],
    "stimuli": [{"target": "exc", "kind": "random_step", "amplitude": {"uniform": [0, 10]}, "times": [10.0, 20.0]}],
    "recordings": [{"population": "exc", "variables": ["spikes", "V_m"], "neurons": [0, 1]}],
}


def put(path: str, value: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """``BASE`` (or ``data``) with the field at dotted ``path`` (list items by index) replaced."""
    result = copy.deepcopy(BASE if data is None else data)
    node: Any = result
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return result


#: (field, value, error, the whole message). Each row is a defect the issue measured on main 9f754ba.
DEFECTS = [
    # NaN and inf pass validation almost everywhere
    ("populations.exc.params.tau_m", math.nan, InvalidValueError,
     "populations.exc.params.tau_m must be a finite number, got nan."),
    ("populations.exc.initial", {"V_m": math.inf}, InvalidValueError,
     "populations.exc.initial.V_m must be a finite number, got inf."),
    ("projections.0.weight", math.nan, InvalidValueError, "projections[0].weight must be a finite number, got nan."),
    ("populations.exc.params.E_L", {"uniform": [math.nan, 1.0]}, InvalidValueError,
     "populations.exc.params.E_L.uniform.low must be a finite number, got nan."),
    ("stimuli.0.amplitude", math.nan, InvalidValueError, "stimuli[0].amplitude must be a finite number, got nan."),
    ("populations.src.params.times", [1.0, math.inf], InvalidValueError,
     "populations.src.params.times[1] must be a finite number, got inf."),
    ("duration", math.inf, InvalidValueError, "duration must be a finite number, got inf."),
    ("recordings.0.interval", math.inf, InvalidValueError, "recordings[0].interval must be a finite number, got inf."),
    # "false", "no" and 2 read as true
    ("projections.0.connector", {"fixed_indegree": 2, "allow_autapses": "false"}, InvalidValueError,
     "projections[0].connector.allow_autapses must be true or false, got 'false'."),
    ("projections.0.connector", {"fixed_indegree": 2, "allow_multapses": "no"}, InvalidValueError,
     "projections[0].connector.allow_multapses must be true or false, got 'no'."),
    ("projections.0.connector", {"fixed_indegree": 2, "allow_multapses": 2}, InvalidValueError,
     "projections[0].connector.allow_multapses must be true or false, got 2."),
    ("projections.0.native", "false", InvalidValueError, "projections[0].native must be true or false, got 'false'."),
    ("stimuli.0.independent", 2, InvalidValueError, "stimuli[0].independent must be true or false, got 2."),
    # misspelled keys inside connectors and synapses
    ("projections.0.connector", {"fixed_indegree": 2, "allow_autapse": False}, UnknownNameError,
     'Unknown connector option "allow_autapse" in projections[0].connector. Did you mean "allow_autapses"? '
     "Allowed: allow_autapses, allow_multapses."),
    ("projections.1.synapse", {"tsodyks_markram": {"tau_recc": 100.0}}, UnknownNameError,
     'Unknown tsodyks_markram field "tau_recc" in projections[1].synapse.tsodyks_markram. Did you mean "tau_rec"? '
     "Allowed: U, tau_fac, tau_rec, u, x."),
    # constraints only NEST knew
    ("populations.exc.params.V_reset", -50.0, InvalidValueError,
     "populations.exc.params: lif×current_exp needs V_reset < V_th, got V_reset -50 and V_th -55 (neuron 0). "
     'NEST: "Reset potential must be smaller than threshold."'),
    ("populations.ad.params", {"V_peak": -60.0}, InvalidValueError,
     "populations.ad.params: adex×conductance_exp needs V_th <= V_peak, got V_th -50.4 and V_peak -60 (neuron 0). "
     'NEST: "V_peak >= V_th required."'),
    ("populations.ad.params", {"Delta_T": 0.01, "V_peak": 20.0}, InvalidValueError,
     "populations.ad.params: (V_peak - V_th) / Delta_T reaches 7040, which overflows the exponential at spike "
     "time (NEST allows less than 663.7); increase Delta_T or lower V_peak."),
    ("projections.1.synapse", {"tsodyks_markram": {"u": 1.5}}, InvalidValueError,
     "projections[1].synapse.tsodyks_markram.u must be in [0, 1], got 1.5."),
    ("dt", 0.1005, InvalidValueError, "dt (0.1005 ms) must be a multiple of 0.001 ms (NEST's tic), got 0.1005."),
    ("dt", 0.0005, InvalidValueError, "dt (0.0005 ms) must be a multiple of 0.001 ms (NEST's tic), got 0.0005."),
    ("stimuli.0.times", [20.0, 10.0], InvalidValueError,
     "stimuli[0].times must be strictly increasing, got 20 then 10 at [0] and [1]."),
    ("stimuli.0.times", [10.05], InvalidValueError,
     "stimuli[0].times[0] (10.05 ms) must be a multiple of dt (0.1 ms), as NEST's devices require."),
    ("recordings.0.interval", 0.0001, InvalidValueError,
     "recordings[0].interval (0.0001 ms) must be at least dt (0.1 ms): it rounds to 0 steps."),
    # connectivity that broke its own rules
    ("projections.1.connector", {"fixed_indegree": 5, "allow_autapses": False, "allow_multapses": False},
     InvalidValueError, "projections[1].connector.fixed_indegree.n (5) needs more partners than exist: each of the "
     "5 exc neurons can draw from 4 distinct sources in exc without autapses."),
    ("projections.1.connector", {"fixed_outdegree": 5, "allow_autapses": False, "allow_multapses": False},
     InvalidValueError, "projections[1].connector.fixed_outdegree.n (5) needs more partners than exist: each of the "
     "5 exc neurons can draw from 4 distinct targets in exc without autapses."),
    ("projections.1.connector", {"fixed_total_number": 30, "allow_multapses": False}, InvalidValueError,
     "projections[1].connector.fixed_total_number.n (30) needs more pairs than exist: exc × exc has 25 distinct "
     "pairs."),
    # blow-ups
    ("projections.0.weight", 1e300, InvalidValueError,
     "projections[0].weight must be at most 1e+06 in magnitude (NEST's units), got 1e+300."),
    # tracebacks instead of errors
    ("recordings.0.variables", 5, InvalidValueError,
     "recordings[0].variables must be a variable name or a non-empty list of them, got 5."),
    ("stimuli.0", {"target": "exc", "kind": "step", "times": 5.0, "amplitudes": [1.0]}, InvalidValueError,
     "stimuli[0].times must be a list of numbers, got 5.0."),
    ("populations.exc.params.E_L", {"lognormal": {"mean": 0, "sigma": -1}}, InvalidValueError,
     "populations.exc.params.E_L.lognormal.sigma must be >= 0, got -1."),
    ("populations.src", {"size": 5, "model": "poisson", "params": {"rate": 1e300}}, InvalidValueError,
     "populations.src.params.rate must be at most 1e+09 in magnitude (NEST's units), got 1e+300."),
    ("recordings.0.neurons", [], InvalidValueError,
     "recordings[0].neurons must be a non-empty list of neuron indices, got []."),
    ("recordings.0.variables", ["V_m", "V_m"], InvalidValueError, "recordings[0].variables lists V_m more than once."),
    ("recordings.0.neurons", [0, 0], InvalidValueError, "recordings[0].neurons lists neuron 0 more than once."),
    ("seed", 2**32, InvalidValueError, "seed must be an integer in [0, 4294967294], got 4294967296."),
    # off-grid spike times were moved silently
    ("populations.src.params.times", [1.0, 1.05, 3.0001], InvalidValueError,
     "populations.src.params.times[1] (1.05 ms) is not a multiple of dt (0.1 ms). NEST refuses off-grid spike "
     "times; set allow_offgrid_times: true to move them to the end of their step, as NEST does."),
    # messages without their field
    ("populations.exc.params.E_L", [-65.0, -64.0], InvalidValueError,
     "populations.exc.params.E_L: a per-neuron list needs 5 values, got 2."),
    ("projections.0.connector", {"fixed_indegree": 2, "fixed_outdegree": 3}, InvalidValueError,
     "projections[0].connector must name one connector, got fixed_indegree, fixed_outdegree."),
]


@pytest.mark.parametrize(("path", "value", "error", "message"), DEFECTS,
                         ids=[f"{d[0]}={d[1]!r}"[:80] for d in DEFECTS])
def test_each_defect_is_refused_with_its_field(path: str, value: Any, error: type, message: str) -> None:
    with pytest.raises(error) as raised:
        nb.Network.from_dict(put(path, value))
    assert str(raised.value) == message


def test_the_base_description_is_valid_and_runs() -> None:
    result = nb.simulate(BASE)
    assert len(result.spikes) > 0


def test_names_every_backend_accepts() -> None:
    data = copy.deepcopy(BASE)
    data["populations"]["my input"] = data["populations"].pop("src")
    with pytest.raises(InvalidValueError) as raised:
        nb.Network.from_dict(data)
    assert str(raised.value) == ("populations.my input: 'my input' is not a valid name (a letter, then letters, "
                                 "digits or _, at most 64 characters).")


def test_a_total_number_with_no_pair_available_is_refused_at_once() -> None:
    data = {"populations": {"a": {"size": 1}},
            "projections": [{"source": "a", "target": "a",
                             "connector": {"fixed_total_number": 1, "allow_autapses": False}}]}
    with allocates_at_most(20), pytest.raises(InvalidValueError) as raised:
        nb.Network.from_dict(data)
    assert str(raised.value) == ("projections[0].connector.fixed_total_number.n (1) needs more pairs than exist: "
                                 "a × a has 0 distinct pairs without autapses.")


def test_a_drawn_parameter_breaking_a_relation_is_refused_at_realization() -> None:
    data = put("populations.exc.params.V_reset", {"normal": {"mean": -60.0, "std": 5.0}}, BASE)
    network = nb.Network.from_dict(data)  # V_reset is random: known only once drawn
    with pytest.raises(InvalidValueError) as raised:
        nb.realize(network.replace(seed=0))
    assert str(raised.value) == ("populations.exc.params: lif×current_exp needs V_reset < V_th, got V_reset -52.2102 "
                                 'and V_th -55 (neuron 1). NEST: "Reset potential must be smaller than threshold."')
    assert nb.realize(network.replace(seed=2)).populations["exc"].params["V_reset"].max() < -55.0


@pytest.mark.parametrize("backend", ["numpy", pytest.param("nest", marks=pytest.mark.requires_nest),
                                     pytest.param("brian2", marks=pytest.mark.requires_brian2)])
def test_every_backend_refuses_a_nest_constraint_with_the_same_text(backend: str) -> None:
    with pytest.raises(InvalidValueError) as raised:
        nb.simulate(put("populations.exc.params.V_reset", -50.0), backend=backend)
    assert str(raised.value).startswith("populations.exc.params: lif×current_exp needs V_reset < V_th")


OPTIONS = [
    ("numpy", {"substeps": 0}, "backend.options.substeps must be an integer in [1, 1000], got 0."),
    ("numpy", {"spike_substeps": -1}, "backend.options.spike_substeps must be an integer in [1, 4096], got -1."),
    ("nest", {"threads": 0}, "backend.options.threads must be an integer in [1, 512], got 0."),
    ("nest", {"threads": -1}, "backend.options.threads must be an integer in [1, 512], got -1."),
    ("nest", {"threads": True}, "backend.options.threads must be an integer, got True."),
    ("brian2", {"target": "cpp"}, 'backend.options.target: "cpp" is not one of numpy, cython, cpp_standalone.'),
    ("brian2", {"methods": {"adex": "exact"}}, 'backend.options.methods.adex: "exact" is not one of euler, rk2, rk4.'),
    ("brian2", {"methods": {"adx": "rk4"}},
     'Unknown key "adx" in backend.options.methods. Did you mean "adex"? Allowed: adex, izhikevich, lif, '
     "lif_conductance."),
]


@pytest.mark.parametrize(("backend", "options", "message"), OPTIONS, ids=[str(o[1]) for o in OPTIONS])
def test_backend_options_are_typed_and_range_checked_before_the_simulator(backend: str, options: dict,
                                                                          message: str) -> None:
    from neurobridge.registry import check_options

    with pytest.raises(nb.NeurobridgeError) as raised:
        check_options(backend, options)
    assert str(raised.value) == message


# -- connectivity ------------------------------------------------------------------------------------

def _pairs(connector: dict, size: int = 6, seed: int = 0) -> list[tuple[int, int]]:
    data = {"seed": seed, "populations": {"a": {"size": size}},
            "projections": [{"source": "a", "target": "a", "connector": connector}]}
    projection = nb.realize(nb.Network.from_dict(data)).projections[0]
    return list(zip(projection.sources.tolist(), projection.targets.tolist()))


@pytest.mark.parametrize("rule", ["fixed_indegree", "fixed_outdegree"])
def test_degree_rules_at_the_limit_have_no_autapse_and_no_multapse(rule: str) -> None:
    for seed in range(20):
        pairs = _pairs({rule: 5, "allow_autapses": False, "allow_multapses": False}, size=6, seed=seed)
        assert len(pairs) == 30 and len(set(pairs)) == 30
        assert all(i != j for i, j in pairs)


def test_total_number_without_multapses_draws_distinct_pairs_uniformly() -> None:
    counts: dict[tuple[int, int], int] = {}
    draws = 400
    for seed in range(draws):
        pairs = _pairs({"fixed_total_number": 10, "allow_autapses": False, "allow_multapses": False}, 4, seed)
        assert len(set(pairs)) == 10 and all(i != j for i, j in pairs)
        for pair in pairs:
            counts[pair] = counts.get(pair, 0) + 1
    assert set(counts) == {(i, j) for i in range(4) for j in range(4) if i != j}
    # Each of the 12 allowed pairs is in a draw with probability 10/12: binomial(400, 5/6), sd 7.5.
    assert all(abs(c - draws * 10 / 12) < 5 * 7.5 for c in counts.values())


def test_total_number_with_every_pair_taken_is_all_of_them() -> None:
    pairs = _pairs({"fixed_total_number": 25, "allow_multapses": False}, size=5)
    assert sorted(pairs) == [(i, j) for i in range(5) for j in range(5)]


def test_from_list_refuses_what_its_flags_forbid() -> None:
    with pytest.raises(InvalidValueError) as raised:
        _pairs({"from_list": {"sources": [0, 1], "targets": [2, 1]}, "allow_autapses": False})
    assert str(raised.value) == ("projections[0].connector.from_list: pair 1 (1 -> 1) is an autapse, which "
                                 "allow_autapses: false forbids.")
    with pytest.raises(InvalidValueError) as raised:
        _pairs({"from_list": {"sources": [0, 0], "targets": [2, 2]}, "allow_multapses": False})
    assert str(raised.value) == ("projections[0].connector.from_list: pair 1 (0 -> 2) repeats an earlier one, which "
                                 "allow_multapses: false forbids.")


# -- off-grid spike times ------------------------------------------------------------------------------

OFFGRID = {"dt": 0.1, "duration": 10.0, "populations": {
    "src": {"size": 1, "model": "spike_times",
            "params": {"times": [1.0, 1.05, 3.0001], "allow_offgrid_times": True}}},
    "recordings": [{"population": "src"}]}


def test_offgrid_times_move_to_the_end_of_their_step_when_allowed() -> None:
    population = nb.realize(nb.Network.from_dict(OFFGRID)).populations["src"]
    np.testing.assert_allclose(population.spike_times, [1.0, 1.1, 3.0])


@pytest.mark.requires_nest
def test_offgrid_rule_is_nests_own() -> None:
    """NEST's spike_generator with allow_offgrid_times, relayed by a parrot (one dt later): the same steps."""
    import os
    os.environ["PYNEST_QUIET"] = "1"
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    generator = nest.Create("spike_generator", params={"spike_times": [1.0, 1.05, 3.0001],
                                                       "allow_offgrid_times": True})
    parrot, recorder = nest.Create("parrot_neuron"), nest.Create("spike_recorder")
    nest.Connect(generator, parrot, syn_spec={"delay": 0.1})
    nest.Connect(parrot, recorder)
    nest.Simulate(10.0)
    np.testing.assert_allclose(recorder.get("events")["times"] - 0.1, [1.0, 1.1, 3.0], atol=1e-9)


# -- resources -----------------------------------------------------------------------------------------

def test_a_huge_population_is_refused_in_a_blink_naming_the_estimate() -> None:
    with allocates_at_most(20), pytest.raises(resources.ResourceError) as raised:
        nb.simulate({"populations": {"n": {"size": 100_000_000}}})
    assert str(raised.value).startswith("The network needs about 67.1 GiB on numpy, more than the memory available "
                                        "on this machine (")
    assert "the largest item is populations.n: neurons (64.1 GiB)" in str(raised.value)


def test_a_long_delay_is_refused_by_its_ring_buffer() -> None:
    data = put("projections.0.delay", 1e7)
    with pytest.raises(resources.ResourceError, match=r"the largest item is populations\.exc: ring buffer of "
                                                      r"100000001 steps \(7\.45 GiB\)"):
        nb.simulate(data, memory_limit_gb=4)


def test_an_explicit_limit_lets_a_refused_network_run() -> None:
    data = {"duration": 10.0, "populations": {"n": {"size": 1000}}}
    with pytest.raises(resources.ResourceError, match=r"more than the limit memory_limit_gb=1e-05"):
        nb.simulate(data, memory_limit_gb=1e-5)
    assert nb.simulate(data, memory_limit_gb=1.0).meta["n_neurons"] == 1000


def test_estimate_counts_realized_synapses_and_input_spikes() -> None:
    """Against the realized network: the estimate's counts are the expected ones."""
    data = {"duration": 1000.0, "populations": {
        "p": {"size": 200, "model": "poisson", "params": {"rate": 50.0}}, "n": {"size": 300}},
        "projections": [{"source": "p", "target": "n", "connector": {"fixed_probability": 0.1}}]}
    network = nb.Network.from_dict(data)
    realized = nb.realize(network)
    estimate = resources.estimate(network, bytes_per_synapse=0.0)
    synapses = estimate.items["projections[0]: 6e+03 synapses"] / resources.REALIZED_BYTES_PER_SYNAPSE
    assert abs(realized.n_synapses - synapses) < 4 * math.sqrt(synapses)
    spikes = estimate.items["populations.p: input spikes"] / resources.BYTES_PER_POISSON_SPIKE
    assert abs(realized.populations["p"].spike_times.size - spikes) < 4 * math.sqrt(spikes)


def test_estimate_of_dense_poisson_input_is_the_grid_it_is_kept_in() -> None:
    """At 20 kHz (two spikes per step) the trains are a byte per step and neuron, not 6 bytes per event."""
    data = {"duration": 100.0, "populations": {
        "p": {"size": 300, "model": "poisson", "params": {"rate": 20000.0, "start": 20.0}}, "n": {"size": 300}},
        "projections": [{"source": "p", "target": "n", "connector": "one_to_one"}]}
    network = nb.Network.from_dict(data)
    held = nb.realize(network).populations["p"].events
    assert held is not None and held.grid is not None
    assert resources.estimate(network).items["populations.p: input spikes"] == held.nbytes == 300 * 800


# -- divergence ----------------------------------------------------------------------------------------

DIVERGING = {"dt": 0.1, "duration": 20.0,
             "populations": {"n": {"size": 2, "model": "adex", "receptor": "current_exp", "params": {"I_e": -1e6}}}}


def test_a_diverging_adex_is_an_error_on_the_reference() -> None:
    with pytest.raises(SimulationDivergedError) as raised:
        nb.simulate(DIVERGING)
    assert str(raised.value) == (
        "populations.n: V_m of neuron 0 is -1121.3 at 0.3 ms on numpy: the dynamics diverged (NEST's aeif "
        "stability check: V_m < -1000 mV or |w| > 1e6 pA). Smaller inputs, weights or dt keep the state finite.")


@pytest.mark.requires_nest
def test_nest_reports_the_same_divergence() -> None:
    with pytest.raises(SimulationDivergedError) as raised:
        nb.simulate(DIVERGING, backend="nest")
    assert str(raised.value) == (
        "populations.n: the dynamics diverged on nest: NEST's aeif_psc_exp found a numerical instability "
        "(V_m < -1000 mV or |w| > 1e6 pA). Smaller inputs, weights or dt keep the state finite.")


@pytest.mark.requires_brian2
def test_brian2_applies_nests_stability_check_too() -> None:
    with pytest.raises(SimulationDivergedError) as raised:
        nb.simulate(DIVERGING, backend="brian2")
    assert str(raised.value) == (
        "populations.n: V_m of neuron 0 is -1121.3 at 0.3 ms on brian2: the dynamics diverged (NEST's aeif "
        "stability check: V_m < -1000 mV or |w| > 1e6 pA). Smaller inputs, weights or dt keep the state finite.")


def test_a_nan_in_recorded_states_is_refused_by_the_core() -> None:
    from neurobridge.registry import check_finite
    from neurobridge.results import RunOutput, StateTrace

    trace = StateTrace("n", "V_m", np.array([3, 4]), np.array([0.1, 0.2]), np.array([[1.0, 2.0], [np.nan, 1.0]]))
    with pytest.raises(SimulationDivergedError) as raised:
        check_finite(RunOutput({}, [trace], 0.0, 0.0), "somebackend")
    assert str(raised.value) == ("populations.n: V_m of neuron 3 is nan at 0.2 ms on somebackend: the dynamics "
                                 "diverged. Smaller inputs, weights or dt keep the state finite.")


def test_load_names_the_file_it_cannot_read(tmp_path) -> None:
    with pytest.raises(InvalidValueError) as raised:
        nb.load(tmp_path / "missing.yaml")
    assert str(raised.value) == f"{tmp_path / 'missing.yaml'}: cannot read the description (No such file or directory)."
    broken = tmp_path / "broken.yaml"
    broken.write_text("populations: [1, 2\nb: 3")
    with pytest.raises(InvalidValueError) as raised:
        nb.load(broken)
    assert str(raised.value) == f"{broken}: not valid YAML (while parsing a flow sequence)."
    broken.write_text("- 1\n- 2\n")
    with pytest.raises(InvalidValueError) as raised:
        nb.load(broken)
    assert str(raised.value) == "network must be a mapping, got [1, 2]."


#: Poisson trains at 10 kHz: a spike at dt, and up to six spikes of one neuron in one step, into tsodyks synapses.
COINCIDENT = {"duration": 100.0, "populations": {
    "p": {"size": 3, "model": "poisson", "params": {"rate": 10000.0}}, "n": {"size": 2}},
    "projections": [{"source": "p", "target": "n", "connector": "all_to_all", "weight": 100.0,
                     "synapse": {"tsodyks_markram": {}}}],
    "recordings": [{"population": "n", "variables": ["V_m"]}, {"population": "p"}]}


@pytest.mark.parametrize("backend", [pytest.param("nest", marks=pytest.mark.requires_nest),
                                     pytest.param("neuron", marks=pytest.mark.requires_neuron)])
def test_coincident_spikes_into_a_tsodyks_synapse_count_one_after_the_other(backend: str) -> None:
    """NEST sends a neuron's (an injector's) spikes of one step as that many events, each updating x and u
    with h = 0; the reference and NEURON do the same (they once counted them once with their number, 0.44 mV
    apart). A spike at dt reaches the synapse too (NEST once refused it: its relay parrots needed one at 0)."""
    on_backend, on_numpy = (nb.simulate(COINCIDENT, backend=b) for b in (backend, "numpy"))
    spikes = on_numpy.spikes
    assert spikes.time_ms.min() == pytest.approx(0.1)
    assert spikes.groupby(["neuron", "time_ms"]).size().max() >= 4
    pd.testing.assert_frame_equal(on_backend.spikes, spikes)
    v = on_numpy.trace("n", "V_m", 1)
    assert np.ptp(v) > 1.0
    np.testing.assert_allclose(on_backend.trace("n", "V_m", 1), v, rtol=0, atol=1e-9)


@pytest.mark.parametrize(("tau_fac", "jump"), [(0.0, 0.75), (100.0, 0.875)])
def test_two_spikes_in_one_step_through_a_tsodyks_synapse_are_two_updates_with_h_0(tau_fac: float,
                                                                                   jump: float) -> None:
    """tsodyks2 (U = 0.5): the first spike sends w x0 u0 = w U; the second, h = 0 later, finds x = 1 - U and
    u = U (no facilitation) or U + U (1 - U): a delta synapse's jump is w (U + (1 - U) U) = 0.75 w, or
    w (U + (1 - U)(2U - U^2)) = 0.875 w."""
    data = {"duration": 5.0, "populations": {
        "s": {"size": 1, "model": "spike_times", "params": {"times": [1.0, 1.0]}},
        "n": {"size": 1, "receptor": "current_delta", "params": {"E_L": 0.0, "V_th": 100.0, "C_m": 1.0}}},
        "projections": [{"source": "s", "target": "n", "connector": "one_to_one", "weight": 2.0, "delay": 1.0,
                         "synapse": {"tsodyks_markram": {"tau_fac": tau_fac}}}],
        "recordings": [{"population": "n", "variables": ["V_m"]}]}
    v = nb.simulate(data, backend="numpy").trace("n", "V_m")
    assert v.max() == pytest.approx(jump * 2.0, rel=1e-12)


def test_a_regular_source_faster_than_the_grid_counts_every_spike_it_draws() -> None:
    """An interval below dt still draws one spike per interval (several land in one step): all counted."""
    data = {"duration": 100.0, "populations": {"r": {"size": 5, "model": "regular", "params": {"interval": 1e-7}},
                                               "n": {"size": 1}},
            "projections": [{"source": "r", "target": "n", "connector": "all_to_all"}]}
    network = nb.Network.from_dict(data)
    spikes = resources.estimate(network).items["populations.r: input spikes"] / resources.BYTES_PER_INPUT_SPIKE
    assert spikes == pytest.approx(5 * 100.0 / 1e-7)
    with pytest.raises(resources.ResourceError, match=r"the largest item is populations\.r: input spikes"):
        nb.simulate(network, memory_limit_gb=2)
    small = {**data, "populations": {**data["populations"], "r": {"size": 5, "model": "regular",
                                                                   "params": {"interval": 0.05}}}}
    realized = nb.realize(nb.Network.from_dict(small)).populations["r"]
    estimated = resources.estimate(nb.Network.from_dict(small)).items["populations.r: input spikes"]
    assert realized.spike_times.size <= estimated / resources.BYTES_PER_INPUT_SPIKE <= realized.spike_times.size + 5


def test_two_recordings_of_one_variable_of_one_neuron_are_refused() -> None:
    data = {"populations": {"n": {"size": 10}},
            "recordings": [{"population": "n", "variables": ["V_m"]},
                           {"population": "n", "variables": ["V_m"], "neurons": [3, 4]}]}
    with pytest.raises(InvalidValueError) as raised:
        nb.Network.from_dict(data)
    assert str(raised.value) == "recordings[1] records V_m of n neuron 3, which recordings[0] already records."
    data["recordings"][0]["neurons"] = [5]
    assert len(nb.Network.from_dict(data).recordings) == 2


def test_a_huge_population_validates_at_once_and_is_refused_by_its_estimate() -> None:
    """Nothing at validation grows with a population's size (a set of 1e12 neuron indices once did)."""
    data = {"populations": {"n": {"size": 10**12}}, "recordings": [{"population": "n", "variables": ["V_m"]}]}
    with allocates_at_most(20):
        network = nb.Network.from_dict(data)
    with pytest.raises(resources.ResourceError):
        nb.simulate(network)
