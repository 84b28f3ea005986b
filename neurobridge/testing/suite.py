"""The conformance suite: the same questions for every backend, each against a truth from outside it.

Subclass :class:`BackendConformance` in a test module and set ``backend`` (and ``options``, and the
tolerances the backend's integrators need)::

    from neurobridge.testing import BackendConformance

    class TestMyBackend(BackendConformance):
        backend = "mine"

Every question is asked over everything the catalog knows: every membrane × receptor pair, both
synapse models, every stimulus kind and every source kind. What the backend's
:class:`~neurobridge.backend.Capabilities` declare is simulated and held to its truth; what they do
not declare is asserted to be refused by validation, with the documented error, before anything runs.

==================================================  ==================================================
question                                            truth
==================================================  ==================================================
``test_psp_matches_its_truth`` (every pair)         closed form (LIF × current receptors), ``solve_ivp``
                                                    (conductance LIF, AdEx), NEST's forward Euler by hand
                                                    (Izhikevich); receptor states in closed form
``test_psp_with_equal_time_constants_...``          the closed form's limit ``w t exp(-t / tau) / C``
``test_membrane_fires_as_theory_says``              LIF: the analytic f-I curve; AdEx: ``solve_ivp``'s
                                                    first spike; Izhikevich: NEST's forward Euler
``test_adex_delta_kicks_act_inside_their_step``     NEST 3.10's aeif_psc_delta, measured
``test_synapse_psc_jumps`` (both synapses)          static: the weight; tsodyks_markram: NEST 3.10's jumps
``test_tsodyks_markram_steady_state``               the Tsodyks-Markram recursion's fixed point
``test_stimulus_current`` (every kind)              the kind's definition, recovered step by step from V_m
``test_source_spikes_reach_a_target`` (every kind)  given times, the regular grid, Poisson statistics, on a
                                                    target neuron's spikes (through the simulator)
``test_spikes_in_one_step_are_all_delivered``       closed form (three arrivals in one step)
``test_recording_options``                          sample grids, neuron subsets, closed-form V_m under I_e
``test_*_agrees_with_reference``                    the NumPy reference (not asked of the reference itself)
==================================================  ==================================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from .. import catalog, registry, theory
from ..backend import ALL_PAIRS, Capabilities
from ..errors import UnsupportedModelError
from ..model import Network
from ..realize import realize
from ..results import Result
from . import networks, truth
from .truth import Arrival

PAIRS = sorted(ALL_PAIRS, key=lambda pair: (catalog.MEMBRANES.index(pair[0]), catalog.RECEPTORS.index(pair[1])))
LINEAR_RECEPTORS = ("current_delta", "current_exp", "current_alpha")


def pair_id(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


@dataclass(frozen=True)
class Agreement:
    """How close a backend's single neuron is held to the reference's.

    ``spike_ms``: the largest difference of a spike time (same number of spikes); ``vm_mv``: the largest
    ``|V_m - V_m(reference)|`` over the samples farther than ``window_ms`` from every spike of either,
    and (``until_first_spike``) only before the first spike less one window.
    """

    spike_ms: float = 0.0
    vm_mv: float = 1e-9
    window_ms: float = 0.0
    until_first_spike: bool = False


#: Tolerances by membrane (``lif_conductance``: LIF with a conductance receptor), in mV.
TOLERANCE_KEYS = ("lif", "lif_conductance", "adex", "izhikevich")


def tolerance_key(membrane: str, receptor: str) -> str:
    if membrane == "lif" and catalog.RECEPTOR_SPECS[receptor].kind == "conductance":
        return "lif_conductance"
    return membrane


# -- the networks of the questions -----------------------------------------------------------------

#: Input weights per membrane and receptor: a visible, subthreshold PSP (mV for delta, pA, nS).
PSP_WEIGHTS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "lif": networks.WEIGHTS, "adex": networks.WEIGHTS,
    "izhikevich": {"current_delta": (2.0, -2.0), "current_exp": (1.0, -1.0), "current_alpha": (0.6, -0.5),
                   "conductance_exp": (0.02, -0.03), "conductance_alpha": (0.01, -0.03)},
}
#: One excitatory spike (10 ms, delay 1 ms) and one inhibitory (30 ms, delay 1.5 ms).
PSP_INPUTS = ((10.0, 1.0), (30.0, 1.5))


def psp_params(membrane: str, receptor: str) -> dict[str, float]:
    """A neuron of the pair far from its threshold: NEST's defaults with the suite's synaptic constants."""
    synaptic = {k: v for k, v in networks.SYNAPTIC[receptor].items()}
    if membrane == "lif":
        base = dict(networks.LIF)
        if catalog.RECEPTOR_SPECS[receptor].kind == "conductance":
            base = {**{k: v for k, v in base.items() if k != "tau_m"}, "g_L": 25.0}
        return {**base, "V_th": 100.0, **synaptic}
    return {**catalog.parameter_defaults(membrane, receptor), **synaptic}


def psp_network(membrane: str, receptor: str) -> dict[str, Any]:
    w_ex, w_in = PSP_WEIGHTS[membrane][receptor]
    if catalog.RECEPTOR_SPECS[receptor].kind == "conductance":
        w_in = -abs(w_in)
    neuron: dict[str, Any] = {"size": 1, "model": membrane, "receptor": receptor,
                              "params": psp_params(membrane, receptor)}
    if membrane == "izhikevich":
        neuron["initial"] = {"V_m": -70.0, "U_m": -14.0}  # its resting point (b = 0.2, I = 0)
    (t_ex, d_ex), (t_in, d_in) = PSP_INPUTS
    return {"dt": 0.1, "duration": 60.0, "populations": {
        "exc": {"size": 1, "model": "spike_times", "params": {"times": [t_ex]}},
        "inh": {"size": 1, "model": "spike_times", "params": {"times": [t_in]}},
        "neuron": neuron},
        "projections": [
            {"source": "exc", "target": "neuron", "connector": "one_to_one", "weight": w_ex, "delay": d_ex},
            {"source": "inh", "target": "neuron", "connector": "one_to_one", "weight": w_in, "delay": d_in}],
        "recordings": [{"population": "neuron", "variables": ["spikes", *catalog.state_variables(membrane, receptor)]}]}


def psp_truth(membrane: str, receptor: str, t: np.ndarray) -> dict[str, np.ndarray]:
    """Every state variable of :func:`psp_network`'s neuron at the sample times ``t``."""
    data = psp_network(membrane, receptor)
    params = data["populations"]["neuron"]["params"]
    arrivals = [Arrival(time + delay, p["weight"]) for (time, delay), p in zip(PSP_INPUTS, data["projections"])]
    states: dict[str, np.ndarray] = {}
    for channel, quantity in zip(("ex", "in"), catalog.RECEPTOR_SPECS[receptor].states):
        states[quantity.name] = truth.synaptic_state(receptor, params, arrivals, t, channel)
    if membrane == "izhikevich":
        steps = int(round(t[-1] / 0.1))
        v, u, _ = truth.izhikevich_euler(receptor, params, (-70.0, -14.0), arrivals, 0.1, steps)
        index = np.round(t / 0.1).astype(int) - 1
        states.update(V_m=v[index], U_m=u[index])
    elif membrane == "lif" and catalog.RECEPTOR_SPECS[receptor].kind != "conductance":
        states["V_m"] = truth.lif_current_psp(receptor, params, arrivals, t)
    else:
        initial = [params["E_L"]] + ([0.0] if membrane == "adex" else [])
        solution = truth.membrane_ode(membrane, receptor, params, initial, arrivals, t)
        states["V_m"] = solution[0]
        if membrane == "adex":
            states["w"] = solution[1]
    return states


#: Stimuli of :meth:`BackendConformance.test_stimulus_current`, onto 4 passive neurons (0–200 ms).
STIMULI: Mapping[str, dict[str, Any]] = {
    "dc": {"kind": "dc", "amplitude": 380.0, "start": 20.0, "stop": 150.0, "neurons": [1, 3]},
    "step": {"kind": "step", "times": [10.0, 30.0, 120.0], "amplitudes": [200.0, -150.0, 0.0]},
    "noise": {"kind": "noise", "mean": 150.0, "std": 200.0, "dt": 1.0, "start": 10.0, "stop": 190.0},
    "random_step": {"kind": "random_step", "amplitude": {"uniform": [100.0, 600.0]}, "interval": 7.5,
                    "independent": True, "start": 10.0},
    "ramp": {"kind": "ramp", "start": 10.0, "stop": 190.0, "amplitude_start": 100.0, "amplitude_stop": 700.0},
    "sinusoidal": {"kind": "sinusoidal", "amplitude": 300.0, "frequency": 20.0, "offset": 250.0, "phase": 90.0,
                   "start": 20.0, "stop": 170.0},
}
PASSIVE = {**networks.LIF, "V_th": 1000.0, "tau_syn_ex": 2.0, "tau_syn_in": 2.0}


def stimulus_network(kind: str) -> dict[str, Any]:
    return {"dt": 0.1, "duration": 200.0, "seed": 4, "populations": {
        "cells": {"size": 4, "model": "lif", "receptor": "current_exp", "params": PASSIVE}},
        "stimuli": [{"target": "cells", **STIMULI[kind]}],
        "recordings": [{"population": "cells", "variables": ["V_m"]}]}


#: A target neuron that fires in the step each input spike arrives: a 100 mV kick, no refractory time.
FOLLOWER = {**networks.LIF, "t_ref": 0.0}
FOLLOWER_DELAY = 1.0
SOURCES: Mapping[str, dict[str, Any]] = {
    "spike_times": {"size": 2, "model": "spike_times",
                    "params": {"times": [[5.0, 5.0, 20.0, 20.1, 77.7], [7.3, 40.0, 99.0]]}},
    "regular": {"size": 2, "model": "regular", "params": {"rate": 50.0, "start": 5.0, "stop": 95.0}},
    "poisson": {"size": 100, "model": "poisson", "params": {"rate": 20.0}},
}


def source_network(kind: str) -> dict[str, Any]:
    source = SOURCES[kind]
    duration = 2000.0 if kind == "poisson" else 120.0
    return {"dt": 0.1, "duration": duration, "seed": 11, "populations": {
        "source": source,
        "target": {"size": source["size"], "model": "lif", "receptor": "current_delta", "params": FOLLOWER}},
        "projections": [{"source": "source", "target": "target", "connector": "one_to_one", "weight": 100.0,
                         "delay": FOLLOWER_DELAY}],
        "recordings": [{"population": "target", "variables": ["spikes"]},
                       {"population": "source", "variables": ["spikes"]}]}


def recording_network() -> dict[str, Any]:
    """Four passive neurons under ``I_e`` 100–400 pA; three recordings with their own neurons and intervals."""
    return {"dt": 0.1, "duration": 10.0, "populations": {
        "cells": {"size": 4, "model": "lif", "receptor": "current_exp",
                  "params": {**PASSIVE, "I_e": {"linspace": [100.0, 400.0]}}},
        "quiet": {"size": 2, "model": "lif", "receptor": "current_exp", "params": PASSIVE}},
        "recordings": [{"population": "cells", "variables": ["V_m"], "neurons": [3, 1], "interval": 0.5},
                       {"population": "cells", "variables": ["I_syn_ex"], "interval": 0.3},
                       {"population": "cells", "variables": ["spikes"]}]}


def tsodyks_network(synapse: Any, times: list[float] | None = None, rate: float | None = None,
                    duration: float = 250.0) -> dict[str, Any]:
    """A source onto a passive ``lif × current_exp`` neuron (weight 100 pA, delay 1 ms), ``I_syn_ex`` recorded."""
    source: dict[str, Any] = ({"size": 1, "model": "spike_times", "params": {"times": times}} if times is not None
                              else {"size": 1, "model": "regular", "params": {"rate": rate, "start": 1.0}})
    return {"dt": 0.1, "duration": duration, "populations": {
        "input": source,
        "cell": {"size": 1, "model": "lif", "receptor": "current_exp", "params": PASSIVE}},
        "projections": [{"source": "input", "target": "cell", "connector": "one_to_one", "weight": 100.0,
                         "delay": 1.0, "synapse": synapse}],
        "recordings": [{"population": "cell", "variables": ["I_syn_ex"]}]}


def psc_jumps(result: Result, tau_syn: float = 2.0, dt: float = 0.1) -> np.ndarray:
    """The jumps of ``I_syn_ex`` beyond its exponential decay, one per arrival."""
    current = result.trace("cell", "I_syn_ex").to_numpy()
    jumps = current - np.concatenate([[0.0], current[:-1]]) * math.exp(-dt / tau_syn)
    return jumps[jumps > 1e-6]


#: What each kind of item is called in the refusal and where validation names it.
_REFUSAL = {"pairs": "the model {0}×{1}", "sources": "the {0} source", "synapses": "the synapse {0}",
            "stimuli": "the stimulus {0}"}


class BackendConformance:
    """The questions every backend answers; subclass it and set :attr:`backend`."""

    #: The registered backend name.
    backend: ClassVar[str]
    #: Options passed to every run (``{"target": "cython"}``).
    options: ClassVar[dict[str, Any]] = {}
    #: Largest ``|state - truth|`` of :meth:`test_psp_matches_its_truth` by :func:`tolerance_key` (mV, pA, nS).
    psp_tolerance: ClassVar[Mapping[str, float]] = {
        "lif": 1e-6, "lif_conductance": 1e-4, "adex": 1e-3, "izhikevich": 1e-6}
    #: Agreement with the reference by :func:`tolerance_key` (identical by default).
    agreement: ClassVar[Mapping[str, Agreement]] = {key: Agreement() for key in TOLERANCE_KEYS}
    #: Largest difference of a spike time from the reference's on the linear models (ms).
    spike_tolerance_ms: ClassVar[float] = 0.0
    #: Largest ``|V_m - V_m(reference)|`` on the linear models (mV).
    vm_tolerance_mv: ClassVar[float] = 1e-6

    # -- running ------------------------------------------------------------------------------------

    def simulate(self, data: dict[str, Any]) -> Result:
        return registry.simulate(Network.from_dict(data), backend=self.backend, **self.options)

    def reference(self, data: dict[str, Any]) -> Result:
        return registry.simulate(Network.from_dict(data), backend=registry.REFERENCE)

    @property
    def capabilities(self) -> Capabilities:
        return registry.capabilities()[self.backend]

    def declares(self, kind: str, item: Any) -> bool:
        return item in getattr(self.capabilities, kind)

    def need(self, question: str, *items: tuple[str, Any]) -> None:
        """Skip, naming what is missing, when the backend does not declare every ``(kind, item)`` a
        question's network uses (each of those items is asked, or its refusal, by its own question)."""
        missing = [f"{kind} {'×'.join(item) if isinstance(item, tuple) else item}" for kind, item in items
                   if not self.declares(kind, item)]
        if missing:
            pytest.skip(f"{question} needs {', '.join(missing)}, which {self.backend} does not declare")

    def refusal_network(self, kind: str, item: Any) -> tuple[dict[str, Any], str]:
        """The smallest network that uses ``item`` and nothing else the backend may lack, and where
        validation names it."""
        network: dict[str, Any] = {"dt": 0.1, "duration": 10.0, "populations": {}}
        if kind == "pairs":
            network["populations"]["neuron"] = {"size": 1, "model": item[0], "receptor": item[1]}
            return network, "populations.neuron"
        if kind == "sources":
            network["populations"]["source"] = SOURCES[item]
            return network, "populations.source"
        declared = [pair for pair in PAIRS if self.declares("pairs", pair)]
        if not declared:
            pytest.skip(f"a refusal of the {kind} {item} needs a neuron model; {self.backend} declares none")
        cells = {"size": 4, "model": declared[0][0], "receptor": declared[0][1]}
        network["populations"] = {"cells": cells, "more": cells}
        if kind == "stimuli":
            network["stimuli"] = [{"target": "cells", **STIMULI[item]}]
            return network, "stimuli[0].kind"
        connector = next(iter(sorted(self.capabilities.connectors)), "one_to_one")
        network["projections"] = [{"source": "cells", "target": "more", "connector": connector, "weight": 1.0,
                                   "delay": 1.0, "synapse": item}]
        return network, "projections[0].synapse"

    def assert_refused(self, kind: str, item: Any) -> None:
        """Validation refuses ``item`` with the documented text, naming the backends that declare it."""
        data, where = self.refusal_network(kind, item)
        item_names = item if isinstance(item, tuple) else (item,)
        what = _REFUSAL[kind].format(*item_names)
        others = [name for name, caps in registry.capabilities().items()
                  if item in getattr(caps, kind) and name != self.backend]
        elsewhere = f"supported by: {', '.join(others)}" if others else "no installed backend supports it"
        reason = registry.get_backend(self.backend).unsupported_reason(kind, item)
        expected = (f"{where}: {reason} {elsewhere[0].upper()}{elsewhere[1:]}." if reason else
                    f"{where}: backend {self.backend} does not support {what} ({elsewhere}).")
        with pytest.raises(UnsupportedModelError) as raised:
            self.simulate(data)
        assert str(raised.value) == expected

    def skip_if_reference(self) -> None:
        if self.backend == registry.REFERENCE:
            pytest.skip("the reference is not compared with itself: it is held to theory by the other questions")

    # -- every pair ----------------------------------------------------------------------------------

    @pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
    def test_psp_matches_its_truth(self, pair: tuple[str, str]) -> None:
        """One excitatory and one inhibitory spike: every state at every step as its truth gives it."""
        data = psp_network(*pair)
        if not self.declares("pairs", pair):
            self.assert_refused("pairs", pair)
            return
        self.need("the PSP", ("sources", "spike_times"), ("connectors", "one_to_one"), ("synapses", "static"))
        result = self.simulate(data)
        assert len(result.spikes) == 0
        tolerance = self.psp_tolerance[tolerance_key(*pair)]
        t = result.trace("neuron", "V_m").index.to_numpy()
        np.testing.assert_allclose(t, np.arange(1, 601) * 0.1)
        expected = psp_truth(*pair, t)
        assert expected["V_m"].max() - expected["V_m"].min() > 0.5  # the inputs are visible
        for variable, values in expected.items():
            scale = 1.0 if variable in ("V_m", "U_m") else max(1.0, float(np.abs(values).max()))
            np.testing.assert_allclose(result.trace("neuron", variable).to_numpy(), values,
                                       atol=tolerance * scale, err_msg=variable)

    def test_psp_with_equal_time_constants_matches_its_limit(self) -> None:
        """``tau_syn == tau_m`` (the singular case of the exp PSP): ``V = w t exp(-t / tau) / C``."""
        data = psp_network("lif", "current_exp")
        if not self.declares("pairs", ("lif", "current_exp")):
            self.assert_refused("pairs", ("lif", "current_exp"))
            return
        self.need("the PSP", ("sources", "spike_times"), ("connectors", "one_to_one"), ("synapses", "static"))
        data["populations"]["neuron"]["params"].update(tau_syn_ex=10.0, tau_syn_in=10.0)
        trace = self.simulate(data).trace("neuron", "V_m")
        t = trace.index.to_numpy()
        s = np.clip(t - 11.0, 0.0, None)
        w_ex = data["projections"][0]["weight"]
        expected = -70.0 + w_ex / 250.0 * s * np.exp(-s / 10.0)
        later = t >= 31.5 - 1e-9
        s_in = t[later] - 31.5
        expected[later] += data["projections"][1]["weight"] / 250.0 * s_in * np.exp(-s_in / 10.0)
        np.testing.assert_allclose(trace.to_numpy(), expected, atol=self.psp_tolerance["lif"])

    @pytest.mark.parametrize("membrane", catalog.MEMBRANES)
    def test_membrane_fires_as_theory_says(self, membrane: str) -> None:
        """LIF: the analytic f-I curve; AdEx: solve_ivp's first spike; Izhikevich: NEST's forward Euler."""
        declared = [pair for pair in PAIRS if pair[0] == membrane and self.declares("pairs", pair)]
        if not declared:
            self.assert_refused("pairs", (membrane, "current_exp"))
            return
        getattr(self, f"_fires_{membrane}")(declared[0][1])

    def _fires_lif(self, receptor: str) -> None:
        n, duration = 100, 2000.0
        p = {**psp_params("lif", receptor), "V_th": -55.0}
        params: dict[str, Any] = {**p, "I_e": {"linspace": [0.0, 1000.0]}}
        data = {"dt": 0.1, "duration": duration, "populations": {
            "sweep": {"size": n, "model": "lif", "receptor": receptor, "params": params}}}
        spikes = self.simulate(data).spikes
        counts = np.bincount(spikes.neuron.to_numpy(), minlength=n).astype(float)
        current = np.linspace(0.0, 1000.0, n)
        tau_m = p.get("tau_m", p["C_m"] / p.get("g_L", 1.0))
        mu = p["E_L"] + current * tau_m / p["C_m"]
        expected = theory.lif_rate(mu, p["V_th"], p["V_reset"], tau_m, p["t_ref"])
        # Each interval is the analytic one rounded up to the grid: at most one step longer.
        isi = 1000.0 / np.where(expected > 0, expected, np.nan)
        lower = np.where(expected > 0, np.floor(duration / (isi + 0.1)) - 1, 0)
        assert np.all(counts >= lower - 1e-9)
        assert np.all(counts <= expected * duration / 1000.0 + 1 + 1e-9)
        assert np.all(counts[expected == 0] == 0)
        assert counts[-1] > 100

    def _fires_adex(self, receptor: str) -> None:
        self.need("the AdEx first spike", ("stimuli", "step"))
        params = dict(catalog.parameter_defaults("adex", receptor))
        data = {"dt": 0.1, "duration": 300.0, "populations": {
            "neuron": {"size": 1, "model": "adex", "receptor": receptor}},
            "stimuli": [{"target": "neuron", "kind": "step", "times": [50.0], "amplitudes": [800.0]}],
            "recordings": [{"population": "neuron", "variables": ["spikes", "V_m"]}]}
        result = self.simulate(data)
        ode = truth.adex_first_spike(params, 800.0, onset=50.1, t_end=300.0)  # on from the step after 50 ms
        t_spike = ode.t_events[0][0]
        first = result.spikes.time_ms.min()
        assert first - 0.1 - 1e-9 <= t_spike <= first + 1e-9  # stamped at the end of its step
        trace = result.trace("neuron", "V_m")
        before = trace[trace.index < t_spike - 1.0]
        assert np.max(np.abs(before.to_numpy() - ode.sol(before.index.to_numpy())[0])) < self.psp_tolerance["adex"]

    def _fires_izhikevich(self, receptor: str) -> None:
        params = {**catalog.parameter_defaults("izhikevich", receptor), "I_e": 10.0}
        data = {"dt": 0.1, "duration": 200.0, "populations": {"n": {
            "size": 1, "model": "izhikevich", "receptor": receptor, "params": params,
            "initial": {"V_m": -70.0, "U_m": -14.0}}},
            "recordings": [{"population": "n", "variables": ["spikes", "V_m", "U_m"]}]}
        result = self.simulate(data)
        v, u, spikes = truth.izhikevich_euler(receptor, params, (-70.0, -14.0), (), 0.1, 2000)
        assert len(spikes) > 3
        np.testing.assert_allclose(result.spikes.time_ms.to_numpy(), spikes, atol=1e-9)
        tolerance = self.psp_tolerance["izhikevich"]
        np.testing.assert_allclose(result.trace("n", "V_m").to_numpy(), v, atol=tolerance)
        np.testing.assert_allclose(result.trace("n", "U_m").to_numpy(), u, atol=tolerance)

    @pytest.mark.parametrize(("times", "weight", "spikes", "v_m"), truth.NEST_ADEX_DELTA_CASES,
                             ids=["spike", "dropped-in-refractory", "after-refractory", "kept"])
    def test_adex_delta_kicks_act_inside_their_step(self, times: tuple[float, ...], weight: float,
                                                    spikes: tuple[float, ...], v_m: dict[float, float]) -> None:
        """``adex × current_delta``: a kick is added and tested within the step it arrives, and dropped while
        refractory, as NEST 3.10's aeif_psc_delta does (measured)."""
        data = {"dt": 0.01, "duration": 6.0, "populations": {
            "s": {"size": 1, "model": "spike_times", "params": {"times": list(times)}},
            "n": {"size": 1, "model": "adex", "receptor": "current_delta", "params": {"t_ref": 2.0}}},
            "projections": [{"source": "s", "target": "n", "connector": "one_to_one", "weight": weight,
                             "delay": 0.1}],
            "recordings": [{"population": "n", "variables": ["spikes", "V_m"]}]}
        if not self.declares("pairs", ("adex", "current_delta")):
            self.assert_refused("pairs", ("adex", "current_delta"))
            return
        self.need("the AdEx kicks", ("sources", "spike_times"), ("connectors", "one_to_one"), ("synapses", "static"))
        result = self.simulate(data)
        np.testing.assert_allclose(result.spikes.time_ms.to_numpy(), spikes, atol=1e-9)
        trace = result.trace("n", "V_m")
        for t, expected in v_m.items():
            assert trace.loc[t] == pytest.approx(expected, abs=1e-3), (t, trace.loc[t])

    # -- synapses ------------------------------------------------------------------------------------

    @pytest.mark.parametrize("synapse", catalog.SYNAPSES)
    def test_synapse_psc_jumps(self, synapse: str) -> None:
        """Five spikes 50 ms apart: static jumps by the weight each time, tsodyks_markram as NEST 3.10 does."""
        spec = synapse if synapse == "static" else {synapse: {"U": 0.45, "tau_rec": 750.0, "tau_fac": 50.0}}
        data = tsodyks_network(spec, times=[10.0, 60.0, 110.0, 160.0, 210.0])
        if not self.declares("synapses", synapse):
            self.assert_refused("synapses", synapse)
            return
        self.need("the PSC jumps", ("pairs", ("lif", "current_exp")), ("sources", "spike_times"),
                  ("connectors", "one_to_one"))
        jumps = psc_jumps(self.simulate(data))
        expected = [100.0] * 5 if synapse == "static" else truth.NEST_TSODYKS_JUMPS
        np.testing.assert_allclose(jumps, expected, atol=1e-4)

    @pytest.mark.parametrize(("U", "tau_rec", "tau_fac"), [(0.45, 750.0, 50.0), (0.15, 50.0, 750.0)],
                             ids=["depressing", "facilitating"])
    def test_tsodyks_markram_steady_state(self, U: float, tau_rec: float, tau_fac: float) -> None:
        """A regular 20 Hz train for 2 s: the first jump is ``w U``, the last the recursion's fixed point."""
        if not self.declares("synapses", "tsodyks_markram"):
            pytest.skip("tsodyks_markram is not declared (its refusal: test_synapse_psc_jumps)")
        self.need("the steady state", ("pairs", ("lif", "current_exp")), ("sources", "regular"),
                  ("connectors", "one_to_one"))
        data = tsodyks_network({"tsodyks_markram": {"U": U, "tau_rec": tau_rec, "tau_fac": tau_fac}}, rate=20.0,
                               duration=2000.0)
        jumps = psc_jumps(self.simulate(data))
        assert len(jumps) == 40
        assert jumps[0] == pytest.approx(100.0 * U, rel=1e-6)
        assert jumps[-1] == pytest.approx(truth.tsodyks_markram_steady_jump(100.0, U, tau_rec, tau_fac, 50.0),
                                          rel=1e-3)

    # -- stimuli -------------------------------------------------------------------------------------

    @pytest.mark.parametrize("kind", catalog.STIMULI)
    def test_stimulus_current(self, kind: str) -> None:
        """The current each step carried, recovered from a passive neuron's ``V_m``, is the stimulus's
        definition; a change acts from the step after it (NEST: a step at 10 ms moves ``V_m`` at 10.2 ms)."""
        data = stimulus_network(kind)
        if not self.declares("stimuli", kind):
            self.assert_refused("stimuli", kind)
            return
        self.need("a stimulus question", ("pairs", ("lif", "current_exp")))
        result = self.simulate(data)
        currents = {}
        for neuron in range(4):
            v = result.trace("cells", "V_m", neuron)
            currents[neuron] = pd.Series(truth.passive_lif_current(v.to_numpy(), PASSIVE, 0.1, PASSIVE["E_L"]),
                                         index=np.round(v.index.to_numpy() / 0.1).astype(int))
        frame = pd.DataFrame(currents)
        # The current of the step ending at sample k is the stimulus's value at (k - 2) dt.
        acting = (frame.index.to_numpy() - 2) * 0.1
        getattr(self, f"_stimulus_{kind}")(STIMULI[kind], frame, acting)

    @staticmethod
    def _stimulus_dc(spec: dict[str, Any], frame: pd.DataFrame, t: np.ndarray) -> None:
        on = (t >= spec["start"] - 1e-9) & (t < spec["stop"] - 1e-9)
        for neuron in frame:
            expected = np.where(on, spec["amplitude"], 0.0) if neuron in spec["neurons"] else np.zeros_like(t)
            np.testing.assert_allclose(frame[neuron], expected, atol=1e-3, err_msg=f"neuron {neuron}")

    @staticmethod
    def _stimulus_step(spec: dict[str, Any], frame: pd.DataFrame, t: np.ndarray) -> None:
        index = np.searchsorted(np.asarray(spec["times"]) - 1e-9, t, side="right") - 1
        expected = np.where(index >= 0, np.asarray(spec["amplitudes"])[np.clip(index, 0, None)], 0.0)
        for neuron in frame:
            np.testing.assert_allclose(frame[neuron], expected, atol=1e-3)

    @staticmethod
    def _stimulus_ramp(spec: dict[str, Any], frame: pd.DataFrame, t: np.ndarray) -> None:
        start, stop, a0, a1 = spec["start"], spec["stop"], spec["amplitude_start"], spec["amplitude_stop"]
        slope = (a1 - a0) / (stop - start)
        inside = (t >= start + 0.2) & (t < stop - 0.2)
        outside = (t < start - 0.2) | (t >= stop + 0.2)
        for neuron in frame:
            current = frame[neuron].to_numpy()
            # sampled once per step: within two steps' change of the line
            assert np.max(np.abs(current[inside] - (a0 + slope * (t[inside] - start)))) <= 2 * slope * 0.1 + 1e-3
            assert np.max(np.abs(current[outside])) < 1e-3

    @staticmethod
    def _stimulus_sinusoidal(spec: dict[str, Any], frame: pd.DataFrame, t: np.ndarray) -> None:
        start, stop = spec["start"], spec["stop"]
        omega = 2 * math.pi * spec["frequency"] / 1000.0
        expected = spec["offset"] + spec["amplitude"] * np.sin(omega * t + math.radians(spec["phase"]))
        inside = (t >= start + 0.2) & (t < stop - 0.2)
        outside = (t < start - 0.2) | (t >= stop + 0.2)
        for neuron in frame:
            current = frame[neuron].to_numpy()
            assert np.max(np.abs(current[inside] - expected[inside])) <= spec["amplitude"] * omega * 0.2 + 1e-3
            assert np.max(np.abs(current[outside])) < 1e-3

    @staticmethod
    def _stimulus_noise(spec: dict[str, Any], frame: pd.DataFrame, t: np.ndarray) -> None:
        on = (t >= spec["start"] - 1e-9) & (t < spec["stop"] - 1e-9)
        assert np.max(np.abs(frame.to_numpy()[~on])) < 1e-3
        block = np.floor((t[on] - spec["start"]) / spec["dt"] + 1e-9).astype(int)
        values = frame.to_numpy()[on]
        per_block = pd.DataFrame(values).groupby(block)
        assert float((per_block.max() - per_block.min()).to_numpy().max()) < 1e-3  # one draw per noise dt
        draws = per_block.mean().to_numpy()  # blocks × neurons
        assert draws.shape == (180, 4)
        assert abs(draws.mean() - spec["mean"]) < 4 * spec["std"] / math.sqrt(draws.size)
        assert draws.std() == pytest.approx(spec["std"], rel=0.15)
        correlation = np.corrcoef(draws.T)[np.triu_indices(4, 1)]
        assert np.all(np.abs(correlation) < 0.3)  # each neuron its own draws

    @staticmethod
    def _stimulus_random_step(spec: dict[str, Any], frame: pd.DataFrame, t: np.ndarray) -> None:
        low, high = spec["amplitude"]["uniform"]
        on = t >= spec["start"] - 1e-9
        assert np.max(np.abs(frame.to_numpy()[~on])) < 1e-3
        block = np.floor((t[on] - spec["start"]) / spec["interval"] + 1e-9).astype(int)
        per_block = pd.DataFrame(frame.to_numpy()[on]).groupby(block)
        assert float((per_block.max() - per_block.min()).to_numpy().max()) < 1e-3  # changes only every interval
        draws = per_block.mean().to_numpy()
        assert np.all((draws >= low - 1e-3) & (draws <= high + 1e-3))
        assert np.all(np.abs(np.diff(draws, axis=0)).max(axis=0) > 1.0)  # redrawn
        assert np.all(np.abs(draws[:, 0] - draws[:, 1]) > 1e-3)  # independent: each neuron its own

    # -- sources -------------------------------------------------------------------------------------

    @pytest.mark.parametrize("kind", catalog.SOURCES)
    def test_source_spikes_reach_a_target(self, kind: str) -> None:
        """Each source neuron drives one target neuron that fires in the step each spike arrives: the
        target's spikes, which went through the simulator, are the source's, one delay later."""
        data = source_network(kind)
        if not self.declares("sources", kind):
            self.assert_refused("sources", kind)
            return
        self.need("a target that fires on each input spike", ("pairs", ("lif", "current_delta")),
                  ("connectors", "one_to_one"), ("synapses", "static"))
        result = self.simulate(data)
        getattr(self, f"_source_{kind}")(data, result)

    @staticmethod
    def _target_trains(result: Result, size: int) -> list[np.ndarray]:
        return [result.spike_times("target", n) for n in range(size)]

    def _source_spike_times(self, data: dict[str, Any], result: Result) -> None:
        trains = self._target_trains(result, 2)
        expected = [[6.0, 21.0, 21.1, 78.7], [8.3, 41.0, 100.0]]  # each step's spikes, once, one delay later
        for train, times in zip(trains, expected):
            np.testing.assert_allclose(train, times, atol=1e-9)
        given = data["populations"]["source"]["params"]["times"]
        for n, times in enumerate(given):
            np.testing.assert_allclose(result.spike_times("source", n), times, atol=1e-9)

    def _source_regular(self, data: dict[str, Any], result: Result) -> None:
        for train in self._target_trains(result, 2):
            np.testing.assert_allclose(train, [6.0, 26.0, 46.0, 66.0, 86.0], atol=1e-9)  # every 20 ms from 5 ms

    def _source_poisson(self, data: dict[str, Any], result: Result) -> None:
        size, rate, duration = 100, 20.0, data["duration"]
        trains = self._target_trains(result, size)
        # Poisson statistics, on spikes that went through the simulator (the first delay has no arrivals)
        count = sum(len(train) for train in trains)
        expected = size * rate * (duration - FOLLOWER_DELAY) / 1000.0
        assert abs(count - expected) < 3 * math.sqrt(expected)
        isis = np.concatenate([np.diff(train) for train in trains])
        assert 0.9 < isis.std() / isis.mean() < 1.1
        assert min(train.min() for train in trains) > FOLLOWER_DELAY
        # and they are the realized trains: each neuron's own, one delay later
        source = realize(Network.from_dict(data)).populations["source"]
        for n in (0, 1, size - 1):
            steps = np.unique(np.round(source.spike_times[source.spike_neurons == n] / 0.1).astype(int))
            arrive = (steps * 0.1 + FOLLOWER_DELAY)
            np.testing.assert_allclose(trains[n], arrive[arrive <= duration + 1e-9], atol=1e-9)

    def test_spikes_in_one_step_are_all_delivered(self) -> None:
        """Three spikes of one source in one step (a Poisson train can have them) and a fourth: each moves
        ``V_m`` by the weight, ``E_L + sum_k w exp(-(t - t_k) / tau_m)``."""
        data = {"dt": 0.1, "duration": 20.0, "populations": {
            "input": {"size": 1, "model": "spike_times", "params": {"times": [5.0, 5.0, 5.0, 8.0]}},
            "neuron": {"size": 1, "model": "lif", "receptor": "current_delta",
                       "params": {**networks.LIF, "V_th": 100.0}}},
            "projections": [{"source": "input", "target": "neuron", "connector": "one_to_one", "weight": 1.0,
                             "delay": 1.0}],
            "recordings": [{"population": "neuron", "variables": ["V_m"]}]}
        if not self.declares("pairs", ("lif", "current_delta")):
            self.assert_refused("pairs", ("lif", "current_delta"))
            return
        self.need("the delivery question", ("sources", "spike_times"), ("connectors", "one_to_one"),
                  ("synapses", "static"))
        trace = self.simulate(data).trace("neuron", "V_m")
        arrivals = [Arrival(6.0, 1.0)] * 3 + [Arrival(9.0, 1.0)]
        expected = truth.lif_current_psp("current_delta", networks.LIF, arrivals, trace.index.to_numpy())
        np.testing.assert_allclose(trace.to_numpy(), expected, atol=self.psp_tolerance["lif"])
        assert trace.loc[6.0] == pytest.approx(-67.0)

    # -- recordings ----------------------------------------------------------------------------------

    def test_recording_options(self) -> None:
        """Neuron subsets in their order, per-recording intervals ending on the duration, spikes of the
        recorded populations only; ``V_m`` under ``I_e`` as the closed form gives it."""
        self.need("the recording question", ("pairs", ("lif", "current_exp")))
        result = self.simulate(recording_network())
        states = result.states
        v = states[states.variable == "V_m"]
        assert list(dict.fromkeys(v.neuron)) == [3, 1]
        np.testing.assert_allclose(sorted(v.time_ms.unique()), np.arange(1, 21) * 0.5)
        current = states[states.variable == "I_syn_ex"]
        assert sorted(current.neuron.unique()) == [0, 1, 2, 3]
        np.testing.assert_allclose(sorted(current.time_ms.unique()), np.arange(1, 34) * 0.3)
        assert np.all(current.value == 0.0)
        assert set(states.population) == {"cells"}
        for neuron, amplitude in ((3, 400.0), (1, 200.0)):
            trace = result.trace("cells", "V_m", neuron)
            t = trace.index.to_numpy()
            expected = -70.0 + amplitude * 10.0 / 250.0 * (1 - np.exp(-t / 10.0))
            np.testing.assert_allclose(trace.to_numpy(), expected, atol=self.vm_tolerance_mv + 1e-9)
        assert result.spikes.empty
        rates = result.rates()
        assert list(rates.index) == ["cells"] and rates["cells"] == 0.0

    # -- against the reference -------------------------------------------------------------------

    @pytest.mark.parametrize("pair", PAIRS, ids=pair_id)
    def test_single_neuron_agrees_with_reference(self, pair: tuple[str, str]) -> None:
        """A DC step and explicit excitatory and inhibitory trains, every state recorded."""
        data = networks.single_on(*pair)
        if not self.declares("pairs", pair):
            self.assert_refused("pairs", pair)
            return
        self.skip_if_reference()
        self.need("the single neuron", ("stimuli", "step"), ("sources", "spike_times"), ("connectors", "one_to_one"),
                  ("synapses", "static"))
        result, reference = self.simulate(data), self.reference(data)
        agreement = self.agreement[tolerance_key(*pair)]
        mine, ref = result.spike_times("neuron", 0), reference.spike_times("neuron", 0)
        assert len(ref) > 5, "the test drive should make the neuron fire"
        assert len(mine) == len(ref)
        assert np.max(np.abs(mine - ref)) <= agreement.spike_ms + 1e-9
        v, v_ref = result.trace("neuron", "V_m"), reference.trace("neuron", "V_m")
        np.testing.assert_allclose(v.index, v_ref.index)
        t = v.index.to_numpy()
        spikes = np.r_[mine, ref]
        keep = ~np.any(np.abs(t[:, None] - spikes[None, :]) <= agreement.window_ms + 1e-9, axis=1)
        if agreement.until_first_spike:
            keep &= t < ref[0] - agreement.window_ms
        assert keep.mean() > 0.1
        assert np.max(np.abs(v.to_numpy() - v_ref.to_numpy())[keep]) <= agreement.vm_mv

    @pytest.mark.parametrize("receptor", LINEAR_RECEPTORS)
    def test_feedforward_layer_agrees_with_reference(self, receptor: str) -> None:
        """100 LIF neurons, 50 Poisson sources, random weights and delays: the same spikes and ``V_m``."""
        data = networks.feedforward(receptor)
        if not self.declares("pairs", ("lif", receptor)):
            self.assert_refused("pairs", ("lif", receptor))
            return
        self.skip_if_reference()
        self.need("the feed-forward layer", ("sources", "poisson"), ("connectors", "fixed_indegree"),
                  ("synapses", "static"))
        result, reference = self.simulate(data), self.reference(data)
        mine = result.spikes[result.spikes.population == "layer"]
        ref = reference.spikes[reference.spikes.population == "layer"]
        assert len(ref) > 5, "the test drive should make the neurons fire"
        assert len(mine) == len(ref)
        for neuron, group in ref.groupby("neuron"):
            np.testing.assert_allclose(result.spike_times("layer", neuron), group.time_ms.to_numpy(),
                                       atol=self.spike_tolerance_ms + 1e-9)
        joined = _joined_traces(result, reference, "layer", "V_m")
        assert len(joined) == 10 * 10000
        assert np.max(np.abs(joined.value - joined.value_ref)) <= self.vm_tolerance_mv

    @pytest.mark.slow
    def test_cuba_rates_agree_with_reference(self) -> None:
        """CUBA (4000 neurons, 1 s): population rates within 5 % of the reference's."""
        self.need("CUBA", ("pairs", ("lif", "current_exp")), ("connectors", "fixed_probability"))
        self.skip_if_reference()
        data = networks.cuba()
        rates, ref = self.simulate(data).rates(), self.reference(data).rates()
        assert np.all(ref > 1.0)
        np.testing.assert_allclose(rates, ref, rtol=0.05)


def _joined_traces(result: Result, reference: Result, population: str, variable: str) -> pd.DataFrame:
    def pick(r: Result) -> pd.DataFrame:
        s = r.states
        frame = s[(s.population == population) & (s.variable == variable)][["neuron", "time_ms", "value"]]
        return frame.assign(step=np.round(frame.time_ms * 1e4).astype(np.int64))

    return pick(result).merge(pick(reference), on=["neuron", "step"], suffixes=("", "_ref"))
