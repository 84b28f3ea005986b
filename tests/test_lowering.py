"""The lowered network, tested once against the contract (the reference's and NEST's time semantics).

Every expected value here is worked out by hand from the description, not read back from the code.
"""

from __future__ import annotations

import numpy as np
import pytest

import neurobridge as nb
from neurobridge.lowering import NativeSupport, lower, native_decisions
from neurobridge.registry import capabilities

NET = {
    "dt": 0.1, "duration": 5.0, "seed": 1,
    "populations": {
        "a": {"size": 3, "model": "lif", "receptor": "current_exp", "params": {"t_ref": 2.04}},
        "src": {"size": 2, "model": "spike_times", "params": {"times": [[0.1, 0.3, 0.3], [2.0]]}},
        "b": {"size": 2, "model": "lif", "receptor": "current_exp"},
        "c": {"size": 3, "model": "adex", "receptor": "conductance_exp"},
        "d": {"size": 1, "model": "lif", "receptor": "current_delta"},
    },
    "projections": [
        {"source": "src", "target": "a", "connector": {"from_list": {"sources": [0, 1, 1], "targets": [0, 2, 1]}},
         "weight": [5.0, -7.0, 3.0], "delay": [0.1, 0.25, 1.0]},
        {"source": "a", "target": "c", "connector": "one_to_one", "weight": -2.0, "delay": 0.5},
        {"source": "src", "target": "d", "connector": "all_to_all", "weight": 1.5, "delay": 0.2},
        {"source": "a", "target": "b", "connector": {"fixed_total_number": 2}, "weight": 4.0, "delay": 1.0,
         "synapse": {"tsodyks_markram": {"U": 0.3}}},
    ],
    "stimuli": [{"target": "b", "kind": "step", "times": [0.0, 1.5], "amplitudes": [10.0, 0.0], "neurons": [1]}],
    "recordings": [{"population": "b", "variables": ["spikes", "V_m", "I_syn_ex"], "neurons": [1], "interval": 0.3},
                   {"population": "src", "variables": ["spikes"]}],
}


@pytest.fixture(scope="module")
def lowered():
    return lower(nb.realize(nb.Network.from_dict(NET)))


def test_populations_of_one_pair_share_a_group_in_description_order(lowered) -> None:
    assert list(lowered.groups) == ["lif_current_exp", "adex_conductance_exp", "lif_current_delta"]
    group = lowered.groups["lif_current_exp"]
    assert [(m.population, m.offset, m.size) for m in group.members.values()] == [("a", 0, 3), ("b", 3, 2)]
    assert group.params["t_ref"].tolist() == [2.04] * 3 + [2.0] * 2
    np.testing.assert_array_equal(group.refractory_steps, [20, 20, 20, 20, 20])  # round(20.4), round(20)
    assert group.initial["V_m"].tolist() == [-70.0] * 5  # E_L


def test_senders_number_groups_first_then_sources(lowered) -> None:
    assert lowered.senders == {"a": 0, "b": 3, "c": 5, "d": 8, "src": 9}
    assert lowered.n_senders == 11


def test_the_sign_rule_and_delays_in_steps(lowered) -> None:
    by_name = {p.name: p for p in lowered.pathways}
    ex, inh = by_name["p0_ex"], by_name["p0_in"]
    assert (ex.pre.tolist(), ex.post.tolist(), ex.values.tolist()) == ([0, 1], [0, 1], [5.0, 3.0])
    assert ex.delay_steps.tolist() == [1, 10]
    assert (inh.pre.tolist(), inh.post.tolist(), inh.values.tolist()) == ([1], [2], [-7.0])  # currents keep the sign
    assert inh.delay_steps.tolist() == [3]  # 0.25 ms: NEST's delay_ms_to_steps rounds a midpoint up
    conductance = by_name["p1_in"]
    assert conductance.values.tolist() == [2.0] * 3 and conductance.weights.tolist() == [-2.0] * 3
    assert conductance.delay_steps.tolist() == [5] * 3
    assert not ex.acts_in_arrival_step
    delta = by_name["p2_delta"]
    assert delta.acts_in_arrival_step and delta.values.tolist() == [1.5, 1.5]
    assert lowered.max_delay_steps("lif_current_exp") == 10


def test_tsodyks_parameters_are_complete(lowered) -> None:
    (stp,) = [p for p in lowered.pathways if p.synapse.model == "tsodyks_markram"]
    assert dict(stp.synapse.params) == {"U": 0.3, "tau_rec": 800.0, "tau_fac": 0.0, "u": 0.3, "x": 1.0}


def test_source_spikes_leave_one_step_before_their_stamp_with_multiplicity(lowered) -> None:
    schedule = lowered.sources["src"]
    assert schedule.steps.tolist() == [0, 2, 2, 19]
    assert schedule.neurons.tolist() == [0, 0, 0, 1]
    steps, neurons, multiplicity = schedule.events()
    assert (steps.tolist(), neurons.tolist(), multiplicity.tolist()) == ([0, 2, 19], [0, 0, 1], [1, 2, 1])


def test_a_current_change_is_read_at_its_step_and_acts_from_the_next(lowered) -> None:
    (current,) = lowered.currents
    assert current.change_steps.tolist() == [1, 15]  # a change at 0 ms moves to the first step's end
    assert current.acts_from.tolist() == [2, 16]
    assert (current.neurons.tolist(), current.group_neurons.tolist()) == ([1], [4])
    assert current.amplitudes.tolist() == [10.0, 0.0]


def test_samples_are_the_state_at_the_end_of_every_interval(lowered) -> None:
    assert [(s.variable, s.every, s.n_samples) for s in lowered.states] == [("V_m", 3, 16), ("I_syn_ex", 3, 16)]
    assert lowered.states[0].sample_steps[:3].tolist() == [2, 5, 8]
    assert lowered.states[0].group_neurons.tolist() == [4]


def test_recorded_spikes_say_where_they_come_from(lowered) -> None:
    assert lowered.spike_populations == ["b", "src"]
    assert lowered.replayed("src") and not lowered.replayed("b")


NATIVE = {
    "dt": 0.1, "duration": 5.0,
    "populations": {
        "p": {"size": 4, "model": "poisson", "params": {"rate": 10.0, "start": 1.0}, "native": True},
        "r": {"size": 2, "model": "regular", "params": {"rate": 10.0}, "native": True},
        "n": {"size": 5, "model": "lif"}},
    "projections": [
        {"source": "p", "target": "n", "connector": {"fixed_indegree": 2}, "weight": 3.0, "native": True},
        {"source": "p", "target": "n", "connector": {"fixed_probability": 0.5},
         "weight": {"normal": {"mean": 2.0, "std": 1.0}}, "native": True},
        {"source": "r", "target": "n", "connector": {"ring": {"radius": 1.0}}, "native": True}],
    "stimuli": [{"target": "n", "kind": "noise", "std": 1.0, "native": True},
                {"target": "n", "kind": "noise", "mean": [1.0] * 5, "std": 1.0, "native": True},
                {"target": "n", "kind": "ramp", "stop": 3.0, "amplitude_stop": 5.0, "native": True}],
}
LIKE_NEST = NativeSupport(sources=frozenset({"poisson"}), rules=frozenset({"fixed_indegree", "fixed_probability"}),
                          distributions=frozenset({"normal"}), stimuli=frozenset({"noise"}))
LIKE_BRIAN2 = NativeSupport(sources=frozenset({"poisson"}), rules=frozenset({"fixed_probability"}),
                            stimuli=frozenset({"noise"}), poisson_input=True)


def test_native_decisions_follow_the_declared_support() -> None:
    network = nb.Network.from_dict(NATIVE)
    nest_like = {k: d.how for k, d in native_decisions(network, LIKE_NEST, "x").items()}
    assert nest_like == {"populations.p": "native", "populations.r": "realized", "projections[0]": "native",
                         "projections[1]": "native", "projections[2]": "realized", "stimuli[0]": "native",
                         "stimuli[1]": "realized", "stimuli[2]": "realized"}
    brian2_like = native_decisions(network, LIKE_BRIAN2, "y")
    assert brian2_like["projections[0]"].how == "poisson_input"
    assert brian2_like["projections[1]"].reason == ("y draws fixed_probability with scalar weights and delays or "
                                                    "these distributions: none; the realized connections are used")
    assert brian2_like["stimuli[1]"].reason == ("a native noise takes one value per parameter; the realized trace "
                                                "is used")
    assert native_decisions(network, NativeSupport(), "z")["populations.p"].reason == (
        "z has no native generator for a poisson source; its realized spike trains are used")


def test_a_native_source_emits_in_the_steps_whose_stamps_lie_in_its_window() -> None:
    lowered = lower(nb.realize(nb.Network.from_dict(NATIVE)), LIKE_NEST)
    assert list(lowered.natives) == ["p"] and "p" not in lowered.sources and "r" in lowered.sources
    native = lowered.natives["p"]
    assert (native.first, native.end) == (10, np.iinfo(np.int32).max)  # stamps > 1.0 ms: steps 10, 11, ...
    native_pathway = next(p for p in lowered.pathways if p.projection == 0)
    assert native_pathway.drawn_by_simulator and native_pathway.n_synapses == 0


@pytest.mark.requires_nest
def test_delays_round_to_the_grid_as_nest_rounds_them() -> None:
    """NEST's own conversion of the same delays (read back from its connections) is the lowered one."""
    import os
    os.environ["PYNEST_QUIET"] = "1"
    import nest

    delays = [0.1, 0.15, 0.25, 0.35, 1.04, 1.05, 2.95]
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.resolution = 0.1
    pre, post = nest.Create("parrot_neuron", len(delays)), nest.Create("parrot_neuron", len(delays))
    nest.Connect(pre, post, "one_to_one", syn_spec={"delay": np.array(delays)})
    nest_steps = np.round(np.asarray(nest.GetConnections(pre).delay) / 0.1).astype(int)
    data = {"populations": {"s": {"size": len(delays), "model": "spike_times", "params": {"times": [1.0]}},
                            "n": {"size": len(delays)}},
            "projections": [{"source": "s", "target": "n", "connector": "one_to_one", "delay": delays}]}
    (pathway,) = lower(nb.realize(nb.Network.from_dict(data))).pathways
    assert pathway.delay_steps.tolist() == nest_steps.tolist()


def test_native_delays_round_as_realized_delays_do() -> None:
    """A native pathway's scalar delay goes to steps by NEST's rule too (0.25 ms at dt 0.1: 3 steps, where
    Python's round gives 2), so a backend's own buffer is the realized one's."""
    for delay, expected in ((0.25, 3), (0.35, 4), (1.05, 11), (1.5, 15)):
        data = {"populations": {"p": {"size": 4, "model": "poisson", "params": {"rate": 10.0}, "native": True},
                                "n": {"size": 4}},
                "projections": [{"source": "p", "target": "n", "connector": {"fixed_indegree": 2}, "delay": delay,
                                 "native": True}]}
        network = nb.Network.from_dict(data)
        lowered = lower(nb.realize(network), capabilities()["numpy"].native)
        (pathway,) = lowered.pathways
        assert pathway.drawn_by_simulator
        assert lowered.native_delay_steps(pathway) == expected, delay


def test_pathways_share_the_realized_arrays_where_the_sign_rule_keeps_every_synapse() -> None:
    from . import networks

    realized = nb.realize(nb.Network.from_dict(networks.cuba(2000)))
    pathways = lower(realized).pathways
    assert [p.channel for p in pathways] == ["ex", "ex", "in", "in"]
    for pathway, projection in zip(pathways, realized.projections):
        assert pathway.pre is projection.sources and pathway.post is projection.targets
        assert pathway.values.strides == (0,) and pathway.shared_weight == projection.spec.weight
        assert pathway.uniform_delay == 1
