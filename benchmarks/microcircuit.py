"""The Potjans & Diesmann (2014) microcircuit at any scale: write its description, run it, compare rates.

    python benchmarks/microcircuit.py --scale 0.1 [--write] [--backends numpy,nest] [--duration 1000]

The numbers follow NEST's PyNEST example (pynest/examples/Potjans_2014, network_params.py and helpers.py
of the version stored here, May 2016 by Rothe, Bos and van Albada), computed, not copied:

* neurons ``int(N_full * scale)``; synapses per pair: the full-scale total
  ``log(1 - p) / log(1 - 1 / (N_pre N_post))`` with the target's neurons scaled
  (``int(total * int(N_post scale) / N_post)``), then times ``K_scaling = scale``:
  ``fixed_total_number`` without autapses, with multapses;
* weights: the PSC that gives a 0.15 mV PSP (``iaf_psc_exp``, tau_m 10, tau_syn 0.5, C_m 250), doubled
  L4E -> L23E, g = -4 for inhibitory sources, relative std 0.1, redrawn to keep their sign
  (``truncated_normal``); delays 1.5 ms (excitatory sources) or 0.75 ms (inhibitory), relative std 0.5,
  redrawn below dt;
* K-scaling: weights divided by ``sqrt(K_scaling)`` and the lost mean input given back as DC
  (``0.001 tau_syn (1 - sqrt(K_scaling)) sum_j w_ij K_ij rate_j`` with ``K_ij`` the full-scale in-degree
  and the example's full-scale rates); background: the example's DC option (``poisson_input: False``),
  ``bg_rate K_ext PSC_ext tau_syn 0.001`` pA, since a realized Poisson background of 7717 neurons at
  12-23 kHz each is another session's work (issue 14, item 1).

``--write`` stores the description as ``conf/model/microcircuit.yaml``. Rates are counted after the first
100 ms (the example's presimulation) and printed next to the published ones (Potjans & Diesmann 2014, Fig. 6,
as NEST's example reproduces them at full scale).
"""

from __future__ import annotations

import argparse
import math
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
    """Total synapses per pair at neuron scale ``scale``, in-degrees at full scale (the example's count)."""
    product = np.outer(N_FULL, N_FULL).astype(float)
    total = np.log(1.0 - P) / np.log((product - 1.0) / product)
    targets = N_FULL[:, None]
    return ((total * (targets * scale).astype(int)) / targets).astype(int)


def numbers(scale: float, background: str = "dc") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Neurons per population, synapses per (target, source) pair, K-scaled PSC weights (pA) and the DC
    (pA) per population at ``scale``: the K-scaling compensation, plus the background's mean with a DC
    background (a Poisson background is its own input)."""
    sizes = (N_FULL * scale).astype(int)
    synapses = full_synapses(scale)
    factor = psc_per_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
    psp = np.where(np.arange(8) % 2 == 0, PSP_E, PSP_E * G)[None, :].repeat(8, axis=0)
    psp[0, 2] = 2 * PSP_E  # L4E -> L23E doubled
    weights = psp * factor
    tau = NEURON["tau_syn_ex"]
    dc = BG_RATE * K_EXT * W_EXT * tau * 0.001 if background == "dc" else np.zeros(8)
    indegree = synapses / np.maximum(sizes[:, None], 1)
    dc = dc + 0.001 * tau * (1.0 - math.sqrt(scale)) * (weights * indegree * FULL_MEAN_RATES).sum(axis=1)
    weights = weights / math.sqrt(scale)
    return sizes, (synapses * scale).astype(int), weights, dc


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


def description(scale: float, duration: float = 1000.0, seed: int = 55, native: bool = False,
                background: str = "dc") -> dict[str, Any]:
    """The microcircuit at ``scale`` (neurons and in-degrees) as plain data; ``native``: the simulator draws
    the connections and the background (``native: true`` on every projection and source). ``background``
    ``poisson``: each neuron its own Poisson train at ``K_ext`` times 8 Hz, PSC ``w_ext``, delay 1.5 ms."""
    sizes, synapses, weights, dc = numbers(scale, background)
    populations = {
        name: {"size": int(size), "model": "lif", "receptor": "current_exp",
               "params": {**NEURON, "I_e": round(float(dc[i]), 6)},
               "initial": {"V_m": {"normal": {"mean": -58.0, "std": 10.0}}}}
        for i, (name, size) in enumerate(zip(POPULATIONS, sizes))}
    projections = []
    for target, source, n, w, low, high, delay in pairs(synapses, weights):
        w = round(w, 6)
        projections.append({
            "source": POPULATIONS[source], "target": POPULATIONS[target],
            "connector": {"fixed_total_number": n, "allow_autapses": False, "allow_multapses": True},
            "weight": {"truncated_normal": {"mean": w, "std": round(abs(w) * PSP_REL_STD, 6), "low": low,
                                            "high": high}},
            "delay": {"truncated_normal": {"mean": delay, "std": delay * DELAY_REL_STD, "low": 0.1,
                                           "high": math.inf}}, **({"native": True} if native else {})})
    if background == "poisson":
        for i, name in enumerate(POPULATIONS):
            populations[f"{name}_bg"] = {"size": int(sizes[i]), "model": "poisson",
                                         "params": {"rate": float(BG_RATE * K_EXT[i])}, "native": native}
            projections.append({"source": f"{name}_bg", "target": name, "connector": "one_to_one",
                                "weight": round(W_EXT, 6), "delay": POISSON_DELAY, "native": native})
    return {"name": f"microcircuit_{scale:g}", "dt": 0.1, "duration": duration, "seed": seed,
            "populations": populations, "projections": projections,
            "recordings": [{"population": name, "variables": ["spikes"]} for name in POPULATIONS]}


def write(data: dict[str, Any], scale: float, path: Path) -> None:
    header = (f"# Potjans & Diesmann (2014) cortical microcircuit at scale {scale:g} (neurons and in-degrees),\n"
              "# written by benchmarks/microcircuit.py --scale S --write from the numbers of NEST's PyNEST example\n"
              "# (see that script's docstring): K-scaled weights with the DC compensation, DC background.\n")
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, width=120))


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
    sizes, synapses, weights, dc = numbers(scale, background)
    cells, recorders = [], []
    for i, size in enumerate(sizes):
        cells.append(nest.Create("iaf_psc_exp", int(size), params={**NEURON, "I_e": float(dc[i])}))
        cells[-1].V_m = nest.random.normal(mean=-58.0, std=10.0)
        recorders.append(nest.Create("spike_recorder", params={"start": 100.0}))
        nest.Connect(cells[-1], recorders[-1])
        if background == "poisson":  # one generator per population: each target its own train
            noise = nest.Create("poisson_generator", params={"rate": float(BG_RATE * K_EXT[i])})
            nest.Connect(noise, cells[-1], syn_spec={"weight": W_EXT, "delay": POISSON_DELAY})
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
    data = description(args.scale, args.duration, background=args.background)
    if args.write:
        path = Path(__file__).resolve().parents[1] / "conf" / "model" / "microcircuit.yaml"
        write(data, args.scale, path)
        print(f"wrote {path}")
    import neurobridge as nb

    sizes = {name: data["populations"][name]["size"] for name in POPULATIONS}
    n_synapses = sum(p["connector"]["fixed_total_number"] for p in data["projections"]
                     if isinstance(p["connector"], dict))
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


if __name__ == "__main__":
    main()
