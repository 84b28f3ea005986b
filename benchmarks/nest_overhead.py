"""Overhead of neurobridge's NEST backend against a hand-written PyNEST script, in the same run.

The network is CUBA (Brette et al. 2007; ``tests/networks.py: cuba(size)``).
Two comparisons, each at every size and thread count:

- ``realized``: neurobridge builds the realized network (one array-based
  ``Connect`` per projection); the hand-written script connects the *same*
  realized arrays with its own ``nest.Connect`` calls. Realization (drawing the
  arrays) is the core's work, shared by every backend, and reported apart.
- ``native``: every projection ``native: true`` (NEST's ``pairwise_bernoulli``)
  against a hand-written script with ``pairwise_bernoulli``.

Build (kernel reset to the last ``Connect``, recorders included) and simulate
are timed separately; each figure is the best of ``--repeats`` runs.

Run: ``python benchmarks/nest_overhead.py [--sizes 4000 16000] [--threads 1 2] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PYNEST_QUIET", "1")

import neurobridge as nb  # noqa: E402
from neurobridge.realize import RealizedNetwork, realize  # noqa: E402
from tests.networks import cuba  # noqa: E402


def _nest():
    import nest

    return nest


def _kernel(nest, dt: float, threads: int, seed: int) -> None:
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": dt, "local_num_threads": threads, "rng_seed": seed + 1})


def _populations(nest, realized: RealizedNetwork) -> dict[str, Any]:
    """What a NEST user writes: one Create per population, the neuron dict, V_m per neuron."""
    nodes = {}
    for name, population in realized.populations.items():
        params = {key: float(values[0]) for key, values in population.params.items()}
        params["V_m"] = population.initial["V_m"]
        nodes[name] = nest.Create("iaf_psc_exp", population.size, params=params)
    return nodes


def _recorders(nest, nodes: dict[str, Any]) -> tuple[Any, ...]:
    spikes = {name: nest.Create("spike_recorder") for name in nodes}
    for name, recorder in spikes.items():
        nest.Connect(nodes[name], recorder)
    meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    nest.Connect(meter, nodes["exc"][:3])
    return spikes, meter


def hand_written(realized: RealizedNetwork, threads: int, native: bool) -> tuple[float, float, int]:
    """The plain PyNEST script; returns build and simulate seconds and the number of spikes."""
    nest = _nest()
    started = time.perf_counter()
    _kernel(nest, realized.dt, threads, realized.network.seed)
    nodes = _populations(nest, realized)
    for projection in realized.projections:
        pre, post = nodes[projection.source], nodes[projection.target]
        if native:
            p = projection.spec.connector.params["p"]
            nest.Connect(pre, post, {"rule": "pairwise_bernoulli", "p": p},
                         {"weight": float(projection.spec.weight), "delay": float(projection.spec.delay)})
        else:
            first_pre, first_post = pre[0].global_id, post[0].global_id
            nest.Connect(first_pre + projection.sources, first_post + projection.targets, "one_to_one",
                         {"synapse_model": "static_synapse", "weight": projection.weights,
                          "delay": projection.delays})
    spikes, _ = _recorders(nest, nodes)
    built = time.perf_counter()
    nest.Simulate(realized.duration)
    finished = time.perf_counter()
    n_spikes = sum(recorder.get("n_events") for recorder in spikes.values())
    return built - started, finished - built, n_spikes


def through_neurobridge(data: dict[str, Any], threads: int) -> tuple[float, float, float, int]:
    result = nb.simulate(data, backend="nest", threads=threads)
    meta = result.meta
    return meta["build_seconds"], meta["run_seconds"], meta["realize_seconds"], len(result.spikes)


def native_version(data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for projection in data["projections"]:
        projection["native"] = True
    return data


def measure(size: int, threads: int, repeats: int) -> list[dict[str, Any]]:
    rows = []
    for mode in ("realized", "native"):
        data = cuba(size) if mode == "realized" else native_version(cuba(size))
        realized = realize(nb.Network.from_dict(data))
        ours, theirs = [], []
        for _ in range(repeats):  # interleaved, so drifts of the machine hit both alike
            ours.append(through_neurobridge(data, threads))
            theirs.append(hand_written(realized, threads, native=mode == "native"))
        ours_build, ours_sim = min(r[0] for r in ours), min(r[1] for r in ours)
        their_build, their_sim = min(r[0] for r in theirs), min(r[1] for r in theirs)
        rows.append({
            "size": size, "threads": threads, "mode": mode, "synapses": realized.n_synapses,
            "realize_s": min(r[2] for r in ours),
            "nb_build_s": ours_build, "hand_build_s": their_build, "build_ratio": ours_build / their_build,
            "nb_sim_s": ours_sim, "hand_sim_s": their_sim, "sim_ratio": ours_sim / their_sim,
            "total_ratio": (ours_build + ours_sim) / (their_build + their_sim),
            "nb_spikes": ours[-1][3], "hand_spikes": theirs[-1][2],
        })
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = (f"{'size':>6} {'thr':>3} {'mode':>8} {'synapses':>9} | {'realize':>7} | "
              f"{'nb build':>8} {'hand':>7} {'ratio':>5} | {'nb sim':>7} {'hand':>7} {'ratio':>5} | "
              f"{'total':>5} | {'spikes nb/hand':>15}")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['size']:>6} {r['threads']:>3} {r['mode']:>8} {r['synapses']:>9} | {r['realize_s']:>6.2f}s | "
            f"{r['nb_build_s']:>7.3f}s {r['hand_build_s']:>6.3f}s {r['build_ratio']:>5.2f} | "
            f"{r['nb_sim_s']:>6.3f}s {r['hand_sim_s']:>6.3f}s {r['sim_ratio']:>5.2f} | "
            f"{r['total_ratio']:>5.2f} | {r['nb_spikes']:>7}/{r['hand_spikes']:<7}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 16000])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = [row for size in args.sizes for threads in args.threads
            for row in measure(size, threads, args.repeats)]
    print(f"NEST {_nest().__version__}, CUBA 1 s, dt 0.1 ms; best of {args.repeats}; "
          f"ratio = neurobridge / hand-written (target <= 1.10)")
    print(table(rows))
    realized = [r for r in rows if r["mode"] == "realized"]
    print(f"realized: build ratio max {max(r['build_ratio'] for r in realized):.2f}, "
          f"simulate ratio max {max(r['sim_ratio'] for r in realized):.2f}, "
          f"total ratio max {max(r['total_ratio'] for r in realized):.2f}")


if __name__ == "__main__":
    main()
