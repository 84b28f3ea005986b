"""Phase-1 evidence: NEURON's own integrators against the reference, and the neurobridge mechanisms.

One LIF neuron (``tests/networks.py`` ``single_neuron``: excitatory and inhibitory spike trains and a
320 pA step from 100 to 600 ms) written in NEURON's own idiom: a section (area 100 µm^2, ``pas``
with C_m 250 pF and tau_m 10 ms), current-based exponential synapses as ``ExpSyn`` with a reversal
of 1e9 mV (the current is ``g (v - e)``: voltage-independent to 1e-7), the step through an
``IClamp`` (its ``amp`` played), the spike a NetCon threshold on ``v``, the reset and refractory
clamp an ``SEClamp`` (0.001 MOhm) switched on for t_ref at each spike. Integrated with fixed-step
backward Euler and CVODE at two tolerances (Crank-Nicolson rings under the stiff reset clamp and
fires spurious spikes, so it is left out); compared with the
reference's spikes (NEST's exact iaf_psc_exp) and V_m. Then every pair through the neurobridge
NEURON backend: the spike count, whether the trains are identical, and the largest state difference.

Usage: python benchmarks/neuron_integrators.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import neurobridge as nb  # noqa: E402
from neurobridge import catalog  # noqa: E402
from tests import networks  # noqa: E402

AREA_CM2 = 1e-6  # 100 µm^2


def idiomatic(receptor: str, method: str, atol: float = 1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The single neuron in NEURON's idiom: spike times, sample times and V_m (every dt)."""
    from neuron import h

    data = networks.single_neuron(receptor)
    p = data["populations"]["neuron"]["params"]
    dt, duration = data["dt"], data["duration"]
    section = h.Section(name="lif")
    section.L = section.diam = float(np.sqrt(AREA_CM2 * 1e8 / np.pi))
    section.insert("pas")
    section.cm = p["C_m"] * 1e-6 / AREA_CM2  # pF -> µF/cm^2
    section.g_pas = section.cm * 1e-3 / p["tau_m"]  # S/cm^2 (tau = C / g)
    section.e_pas = p["E_L"]
    synapses = []
    for tau in (p["tau_syn_ex"], p["tau_syn_in"]):
        synapse = h.ExpSyn(section(0.5))
        synapse.tau, synapse.e = tau, 1e9
        synapses.append(synapse)
    keep = []
    for projection, synapse in zip(data["projections"], synapses):
        source = data["populations"][projection["source"]]["params"]["times"]
        stim = h.NetCon(None, synapse)
        stim.weight[0] = projection["weight"] * 1e-3 / 1e9  # pA -> µS at a driving force of -1e9 mV
        keep.append((stim, [t + projection["delay"] for t in source]))
    clamp = h.IClamp(section(0.5))
    clamp.delay, clamp.dur = 0.0, 1e9
    step = data["stimuli"][0]
    amplitudes = h.Vector([0.0, *[a * 1e-3 for a in step["amplitudes"]]])
    times = h.Vector([0.0, *[t + dt for t in step["times"]]])  # on from the step after, as NEST
    amplitudes.play(clamp._ref_amp, times)
    reset = h.SEClamp(section(0.5))
    reset.rs, reset.amp1, reset.dur1 = 1e-3, p["V_reset"], 0.0
    detector = h.NetCon(section(0.5)._ref_v, None, sec=section)
    detector.threshold = p["V_th"]
    cvode = h.CVode()
    cvode.active(method.startswith("cvode"))
    if method.startswith("cvode"):
        cvode.atol(atol)
    h.secondorder = 2 if method == "crank-nicolson" else 0
    h.dt = dt
    v = h.Vector().record(section(0.5)._ref_v, dt)
    spikes: list[float] = []

    def on_spike() -> None:
        """A spike: its time, then the reset clamp held for t_ref."""
        spikes.append(h.t)
        reset.dur1 = h.t + p["t_ref"]
        if cvode.active():
            cvode.re_init()

    detector.record(on_spike)
    h.finitialize(p["E_L"])
    for netcon, arrivals in keep:
        for arrival in arrivals:
            netcon.event(arrival)
    h.continuerun(duration)
    out = np.array(spikes), np.arange(len(v)) * dt, np.array(v.as_numpy())  # a copy: v is freed after
    h.secondorder = 0
    cvode.active(0)
    return out


def main() -> None:
    from neuron import h

    h.load_file("stdrun.hoc")
    data = networks.single_neuron("current_exp")
    reference = nb.simulate(nb.Network.from_dict(data), backend="numpy")
    ref_spikes = reference.spike_times("neuron", 0)
    ref_v = reference.trace("neuron", "V_m")
    inputs = sum(len(data["populations"][k]["params"]["times"]) for k in ("exc_input", "inh_input"))
    print(f"lif x current_exp, one neuron, {inputs} input spikes and a DC step: reference {ref_spikes.size} spikes")
    print(f"{'NEURON idiom':26s}{'spikes':>7s}{'mean lag ms':>13s}{'max |lag| ms':>14s}{'max |dV| before 1st':>21s}")
    for method, atol in (("backward-euler", 0.0), ("cvode", 1e-3), ("cvode", 1e-6)):
        spikes, times, v = idiomatic("current_exp", method, atol)
        label = method + (f" atol {atol:g}" if method == "cvode" else "")
        n = min(spikes.size, ref_spikes.size)
        lag = spikes[:n] - ref_spikes[:n]
        before = (times > 0) & (times < ref_spikes[0] - 0.5)
        steps = np.round(times[before] / 0.1).astype(int)
        ref_at = ref_v.to_numpy()[steps - 1]
        print(f"{label:26s}{spikes.size:7d}{lag.mean():13.3f}{np.abs(lag).max():14.3f}"
              f"{np.abs(v[before] - ref_at).max():21.4f}")
    print("\nneurobridge NEURON backend (the reference's update in NMODL), single neuron of every pair:")
    from tests.backends.test_brian2 import _single

    for membrane in catalog.MEMBRANES:
        for receptor in catalog.RECEPTORS:
            case = networks.single_neuron(receptor) if membrane == "lif" else _single(membrane, receptor)
            case["recordings"][0]["variables"] = ["spikes", *catalog.state_variables(membrane, receptor)]
            mine = nb.simulate(nb.Network.from_dict(case), backend="neuron")
            ref = nb.simulate(nb.Network.from_dict(case), backend="numpy")
            same = mine.spikes.equals(ref.spikes)
            difference = np.abs(mine.states.value.to_numpy() - ref.states.value.to_numpy()).max()
            print(f"  {membrane:10s} x {receptor:17s} spikes {len(ref.spikes):3d}  identical {same!s:5s}  "
                  f"max |state - reference| {difference:.2e}")


if __name__ == "__main__":
    main()
