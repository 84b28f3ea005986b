"""The Potjans & Diesmann (2014) microcircuit at any scale: write its descriptions, run them, compare rates.

    python benchmarks/microcircuit.py [--write] [--scale 0.1] [--background dc|poisson] [--backends numpy,nest]

The numbers follow NEST's PyNEST example (pynest/examples/Potjans_2014: network.py, network_params.py and
helpers.py of May 2016 by Rothe, Bos and van Albada), computed, not copied:

* neurons ``int(N_full N_scaling)``; synapses per pair: the full-scale total
  ``log(1 - p) / log((N_pre N_post - 1) / (N_pre N_post))`` with the target's neurons scaled
  (``int(total int(N_post N_scaling) / N_post)``), then ``int(that K_scaling)``: ``fixed_total_number``
  without autapses, with multapses;
* weights: the PSC that gives a 0.15 mV PSP (``iaf_psc_exp``, tau_m 10, tau_syn 0.5, C_m 250), doubled
  L4E -> L23E, g = -4 for inhibitory sources, relative std 0.1, redrawn to keep their sign
  (``truncated_normal``); delays 1.5 ms (excitatory sources) or 0.75 ms (inhibitory), relative std 0.5,
  redrawn below dt;
* K-scaling: weights divided by ``sqrt(K_scaling)``, and the mean input lost given back as DC,
  ``0.001 tau_syn (1 - sqrt(K_scaling)) sum_j w_ij K_ij rate_j`` with ``K_ij`` the in-degree at full
  ``K`` and the example's full-scale rates;
* background: DC (the example's ``poisson_input: False``), ``bg_rate K_ext w_ext tau_syn 0.001`` pA; or
  Poisson, each neuron its own train at ``bg_rate K_ext K_scaling`` with weight ``w_ext / sqrt(K_scaling)``
  and the lost mean as DC.

``--write`` stores both as expressions over ``parameters`` (``scale`` first) in
``conf/model/microcircuit.yaml`` and ``microcircuit_poisson.yaml``; a run sets ``parameters.scale``.
:func:`numbers` does the same arithmetic with NumPy, as the example does, for the hand-written PyNEST
script. Rates are counted after the first 100 ms (the example's presimulation) and printed next to the
published ones (Potjans & Diesmann 2014, Fig. 6, as NEST's example reproduces them at full scale).
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import yaml

POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: Connection probabilities, target (row) by source (column).
P = np.array([[0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
              [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
              [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
              [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
              [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
              [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
              [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
              [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
#: The example's full-scale rates (Hz), which its K-scaling compensation uses.
FULL_MEAN_RATES = np.array([0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523])
#: Published rates (Hz, approximate: Potjans & Diesmann 2014, Fig. 6, as the issue quotes them).
PUBLISHED = dict(zip(POPULATIONS, [0.9, 2.8, 4.4, 5.8, 7.6, 8.7, 1.1, 7.8]))
NEURON = {"C_m": 250.0, "tau_m": 10.0, "E_L": -65.0, "V_th": -50.0, "V_reset": -65.0, "t_ref": 2.0,
          "tau_syn_ex": 0.5, "tau_syn_in": 0.5, "I_e": 0.0}
PSP_E, G, PSP_REL_STD, BG_RATE = 0.15, -4.0, 0.1, 8.0
DELAY_EXC, DELAY_INH, DELAY_REL_STD = 1.5, 0.75, 0.5
POISSON_DELAY = 1.5  # ms, the example's delay from its poisson_generators


def psc_per_psp(C_m: float, tau_m: float, tau_syn: float) -> float:
    """The PSC amplitude (pA) per mV of PSP peak for an exponential current into a LIF membrane."""
    ratio = tau_m / tau_syn
    peak = (tau_m * tau_syn / (tau_syn - tau_m) / C_m
            * (ratio ** (-tau_m / (tau_m - tau_syn)) - ratio ** (-tau_syn / (tau_m - tau_syn))))
    return 1.0 / peak


#: The PSC (pA) of a 0.15 mV PSP: every excitatory synapse before K-scaling, and the background's.
W_EXT = PSP_E * psc_per_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])


def full_synapses(scale: float) -> np.ndarray:
    """Total synapses per (target, source) pair with the targets' neurons scaled by ``scale`` and the in-degrees
    at full scale, counted as the example counts them."""
    product = np.outer(N_FULL, N_FULL)
    total = np.log(1.0 - P) / np.log((product - 1.0) / product)
    targets = N_FULL[:, None]
    return ((total * (targets * scale).astype(int)) / targets).astype(int)


def numbers(scale: float, background: str = "dc") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                           float, np.ndarray]:
    """The example's arithmetic at ``scale`` (N and K scaling alike), with NumPy as the example does it:
    neurons per population, synapses per (target, source) pair, K-scaled PSC weights (pA), the DC (pA) per
    population (the K-scaling compensation, plus the background's mean with a DC background), and with a
    Poisson background its weight (pA) and rate (Hz) per population."""
    sizes = (N_FULL * scale).astype(int)
    synapses = full_synapses(scale)
    psp = np.where(np.arange(8) % 2 == 0, PSP_E, G * PSP_E)[None, :].repeat(8, axis=0)
    psp[0, 2] = 2 * PSP_E  # L4E -> L23E doubled
    weights = psc_per_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"]) * psp
    tau, shrink = NEURON["tau_syn_ex"], 1.0 - np.sqrt(scale)
    inputs = (weights * (synapses / (N_FULL[:, None] * scale)) * FULL_MEAN_RATES).sum(axis=1)
    if background == "dc":
        dc = 0.001 * tau * (shrink * inputs) + BG_RATE * K_EXT * W_EXT * tau * 0.001
    else:  # the lost mean of the K-scaled background is given back as DC too
        dc = 0.001 * tau * (shrink * inputs + shrink * (W_EXT * K_EXT * BG_RATE))
    return (sizes, (synapses * scale).astype(int), weights / np.sqrt(scale), dc, W_EXT / np.sqrt(scale),
            BG_RATE * (K_EXT * scale))


def pairs(synapses: np.ndarray, weights: np.ndarray) -> Iterator[tuple[int, int, int, float, float, float, float]]:
    """``(target, source, synapses, weight, low, high, delay)`` for every connected pair: the weight's
    normal is redrawn into ``[low, high]`` to keep its sign; the delay is the pair's mean."""
    for target in range(8):
        for source in range(8):
            n = int(synapses[target, source])
            if n == 0:
                continue
            w = float(weights[target, source])
            low, high = (0.0, math.inf) if w > 0 else (-math.inf, 0.0)
            yield target, source, n, w, low, high, DELAY_EXC if source % 2 == 0 else DELAY_INH


def parametric(background: str = "dc") -> dict[str, Any]:
    """The microcircuit as a description over named parameters, the example's arithmetic written as
    expressions: ``scale`` (neurons and in-degrees; ``N_scaling`` and ``K_scaling`` may be set apart),
    ``K_<source>_to_<target>`` the synapses at full in-degree, ``x_<target>`` the mean input (pA/s) that
    K-scaling takes away and gives back as DC. ``background``: ``dc`` (the example's ``poisson_input: False``)
    or ``poisson`` (each neuron its own train at ``bg_rate K_ext K_scaling``)."""
    names = POPULATIONS
    parameters: dict[str, Any] = {
        "scale": 0.1, "N_scaling": "scale", "K_scaling": "scale", "bg_rate": BG_RATE, "PSP_e": PSP_E, "g": G,
        "C_m": NEURON["C_m"], "tau_m": NEURON["tau_m"], "tau_syn": NEURON["tau_syn_ex"],
        "PSC_per_PSP": "1 / (tau_m * tau_syn / (tau_syn - tau_m) / C_m * ((tau_m / tau_syn) ** (-tau_m / (tau_m - "
                       "tau_syn)) - (tau_m / tau_syn) ** (-tau_syn / (tau_m - tau_syn))))",
        "w_E": "PSC_per_PSP * PSP_e", "w_ext": "w_E", "w_I": "PSC_per_PSP * (g * PSP_e)",
        "w_L4E_to_L23E": "PSC_per_PSP * (2 * PSP_e)",
        "d_E": DELAY_EXC, "d_I": DELAY_INH, "d_rel_std": DELAY_REL_STD, "w_rel_std": PSP_REL_STD}
    parameters.update({f"N_{name}": int(n) for name, n in zip(names, N_FULL)})
    parameters.update({f"K_ext_{name}": int(k) for name, k in zip(names, K_EXT)})
    parameters.update({f"rate_{name}": float(r) for name, r in zip(names, FULL_MEAN_RATES)})

    def weight(t: int, s: int) -> str:
        return "w_L4E_to_L23E" if (t, s) == (0, 2) else ("w_E" if s % 2 == 0 else "w_I")

    connected = [(t, s) for t in range(8) for s in range(8) if P[t, s] > 0]
    for t, s in connected:
        target, source = f"N_{names[t]}", f"N_{names[s]}"
        parameters[f"K_{names[s]}_to_{names[t]}"] = (
            f"floor(log(1 - {float(P[t, s])!r}) / log(({target} * {source} - 1) / ({target} * {source})) "
            f"* floor({target} * N_scaling) / {target})")
    for t, name in enumerate(names):
        parameters[f"x_{name}"] = " + ".join(
            f"{weight(t, s)} * (K_{names[s]}_to_{name} / (N_{name} * N_scaling)) * rate_{names[s]}"
            for s in range(8) if P[t, s] > 0)
    lost = "(1 - sqrt(K_scaling))"
    populations: dict[str, Any] = {}
    for name in names:
        if background == "dc":
            dc = f"0.001 * tau_syn * ({lost} * x_{name}) + bg_rate * K_ext_{name} * w_ext * tau_syn * 0.001"
        else:
            dc = f"0.001 * tau_syn * ({lost} * x_{name} + {lost} * (w_ext * K_ext_{name} * bg_rate))"
        populations[name] = {
            "size": f"floor(N_{name} * N_scaling)", "model": "lif", "receptor": "current_exp",
            "params": {"C_m": "C_m", "tau_m": "tau_m", "E_L": NEURON["E_L"], "V_th": NEURON["V_th"],
                       "V_reset": NEURON["V_reset"], "t_ref": NEURON["t_ref"], "tau_syn_ex": "tau_syn",
                       "tau_syn_in": "tau_syn", "I_e": dc},
            "initial": {"V_m": {"normal": {"mean": -58.0, "std": 10.0}}}}
    projections = []
    for t, s in connected:
        w, d = f"{weight(t, s)} / sqrt(K_scaling)", "d_E" if s % 2 == 0 else "d_I"
        low, high = (0.0, math.inf) if s % 2 == 0 else (-math.inf, 0.0)
        projections.append({
            "source": names[s], "target": names[t],
            "connector": {"fixed_total_number": f"floor(K_{names[s]}_to_{names[t]} * K_scaling)",
                          "allow_autapses": False, "allow_multapses": True},
            "weight": {"truncated_normal": {"mean": w, "std": f"abs({w} * w_rel_std)", "low": low, "high": high}},
            "delay": {"truncated_normal": {"mean": d, "std": f"{d} * d_rel_std", "low": 0.1, "high": math.inf}}})
    if background == "poisson":
        for name in names:
            populations[f"{name}_bg"] = {"size": f"floor(N_{name} * N_scaling)", "model": "poisson",
                                         "params": {"rate": f"bg_rate * (K_ext_{name} * K_scaling)"}}
            projections.append({"source": f"{name}_bg", "target": name, "connector": "one_to_one",
                                "weight": "w_ext / sqrt(K_scaling)", "delay": POISSON_DELAY})
    return {"name": "microcircuit" if background == "dc" else "microcircuit_poisson", "parameters": parameters,
            "dt": 0.1, "duration": 1000.0, "seed": 55, "populations": populations, "projections": projections,
            "recordings": [{"population": name, "variables": ["spikes"]} for name in POPULATIONS]}


def description(scale: float, duration: float = 1000.0, seed: int = 55, native: bool = False,
                background: str = "dc") -> dict[str, Any]:
    """The shipped description at ``scale`` for ``duration`` ms; ``native``: the simulator draws the connections
    and the background (``native: true`` on every projection and source)."""
    data = parametric(background)
    data["parameters"]["scale"] = scale
    data.update(duration=duration, seed=seed)
    if native:
        for projection in data["projections"]:
            projection["native"] = True
        for population in data["populations"].values():
            if population["model"] == "poisson":
                population["native"] = True
    return data


HEADER = """\
# The Potjans & Diesmann (2014) cortical microcircuit, {background} background, at any scale: the numbers of
# NEST's PyNEST example (pynest/examples/Potjans_2014, May 2016) as expressions over `parameters`, written by
# `python benchmarks/microcircuit.py --write`.
#   neurobridge run model={name} parameters.scale=0.05   # neurons and in-degrees; 1 is the full circuit
# K-scaling as the example does it: weights / sqrt(K_scaling), the mean input lost given back as DC
# (x_<pop>: the input at full in-degree; K_<source>_to_<target>: the synapses at full in-degree onto the
# scaled target).
# Weights and delays are normals redrawn into their bounds (`truncated_normal`, NEST's `redraw`).
"""


def write(background: str, folder: Path) -> Path:
    data = parametric(background)
    path = folder / f"{data['name']}.yaml"
    text = HEADER.format(background="DC" if background == "dc" else "Poisson", name=data["name"])
    path.write_text(text + yaml.safe_dump(data, sort_keys=False, width=1000))
    return path


def rates(result: Any, sizes: dict[str, int], start: float) -> dict[str, float]:
    spikes = result.spikes[result.spikes.time_ms > start]
    window = (result.meta["duration_ms"] - start) / 1000.0
    counts = spikes.groupby("population").size()
    return {name: float(counts.get(name, 0)) / sizes[name] / window for name in POPULATIONS}


def pynest(scale: float, duration: float, threads: int = 1, seed: int = 55, background: str = "dc"
           ) -> tuple[float, float, dict[str, float]]:
    """The microcircuit written by hand in PyNEST, as NEST's example builds it: ``iaf_psc_exp``, DC background,
    ``fixed_total_number`` with autapses refused, ``nest.math.redraw`` of normal weights and delays, V_m drawn
    from N(-58, 10). Returns build and run seconds and the rates after 100 ms."""
    import nest

    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    started = time.perf_counter()
    nest.resolution, nest.local_num_threads, nest.rng_seed = 0.1, threads, seed
    sizes, synapses, weights, dc, w_ext, bg_rates = numbers(scale, background)
    cells, recorders = [], []
    for i, size in enumerate(sizes):
        cells.append(nest.Create("iaf_psc_exp", int(size), params={**NEURON, "I_e": float(dc[i])}))
        cells[-1].V_m = nest.random.normal(mean=-58.0, std=10.0)
        recorders.append(nest.Create("spike_recorder", params={"start": 100.0}))
        nest.Connect(cells[-1], recorders[-1])
        if background == "poisson":  # one generator per population: each target its own train
            noise = nest.Create("poisson_generator", params={"rate": float(bg_rates[i])})
            nest.Connect(noise, cells[-1], syn_spec={"weight": w_ext, "delay": POISSON_DELAY})
    for target, source, n, w, low, high, d in pairs(synapses, weights):
        nest.Connect(cells[source], cells[target],
                     {"rule": "fixed_total_number", "N": n, "allow_autapses": False, "allow_multapses": True},
                     {"synapse_model": "static_synapse",
                      "weight": nest.math.redraw(nest.random.normal(mean=w, std=abs(w) * PSP_REL_STD), low, high),
                      "delay": nest.math.redraw(nest.random.normal(mean=d, std=d * DELAY_REL_STD), 0.1, math.inf)})
    nest.Prepare()
    build = time.perf_counter() - started
    started = time.perf_counter()
    nest.Run(duration)
    run = time.perf_counter() - started
    nest.Cleanup()
    window = (duration - 100.0) / 1000.0
    return build, run, {name: recorders[i].n_events / sizes[i] / window for i, name in enumerate(POPULATIONS)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=1000.0)
    parser.add_argument("--backends", default="numpy,nest,nest-native,pynest",
                        help="comma-separated: numpy, nest, nest-native (NEST draws the connections), brian2, "
                             "pynest (the hand-written PyNEST script)")
    parser.add_argument("--threads", type=int, default=1, help="NEST threads (backend and script)")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds; the fastest counts")
    parser.add_argument("--background", choices=("dc", "poisson"), default="dc")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.write:
        for background in ("dc", "poisson"):
            print(f"wrote {write(background, Path(__file__).resolve().parents[1] / 'conf' / 'model')}")
    import neurobridge as nb

    evaluated = nb.Network.from_dict(description(args.scale, args.duration, background=args.background))
    sizes = {name: evaluated.populations[name].size for name in POPULATIONS}
    n_synapses = sum(p.connector.params["n"] for p in evaluated.projections if p.connector.rule == "fixed_total_number")
    print(f"scale {args.scale:g}: {sum(sizes.values())} neurons, {n_synapses} synapses, {args.duration:g} ms, "
          f"{args.background} background, {args.threads} NEST thread(s); rates (Hz) after 100 ms", flush=True)
    table: dict[str, dict[str, float]] = {"published": PUBLISHED}
    times: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.repeat):
        for contender in [b for b in args.backends.split(",") if b]:
            if contender == "pynest":
                build, run, table["PyNEST"] = pynest(args.scale, args.duration, args.threads,
                                                     background=args.background)
                times.setdefault("PyNEST", []).append((build, run))
                label = "PyNEST"
            else:
                label = contender
                backend, native = contender.removesuffix("-native"), contender.endswith("-native")
                network = nb.Network.from_dict(description(args.scale, args.duration, native=native,
                                                           background=args.background))
                options = {"threads": args.threads} if backend == "nest" else {}
                result = nb.simulate(network, backend=backend, **options)
                seconds = result.meta["seconds"]
                build = seconds["realize"] + seconds["lower"] + seconds.get("plan", 0.0) + seconds["build"] + \
                    seconds.get("compile", 0.0)
                times.setdefault(contender, []).append((build, seconds["run"] + seconds.get("read_back", 0.0)))
                table[contender] = rates(result, sizes, 100.0)
            build, run = times[label][-1]
            print(f"  {contender}: build {build:.1f} s, run {run:.1f} s", flush=True)
    reference = min((sum(t) for t in times.get("PyNEST", [])), default=None)
    print(f"{'seconds':14s}{'build':>8s}{'run':>8s}{'total':>8s}{'ratio':>7s}  "
          f"(best of {args.repeat}; ratio to PyNEST)")
    for label, rows in times.items():
        build, run = min(rows, key=sum)
        ratio = f"{(build + run) / reference:7.2f}" if reference else ""
        print(f"{label:14s}{build:8.1f}{run:8.1f}{build + run:8.1f}{ratio}")
    print(f"{'rates':14s}" + "".join(f"{name:>7s}" for name in POPULATIONS))
    for label, row in table.items():
        print(f"{label:14s}" + "".join(f"{row[name]:7.2f}" for name in POPULATIONS))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux
    print(f"peak resident memory of this process (every contender it ran): {peak:.1f} GB")


if __name__ == "__main__":
    main()
