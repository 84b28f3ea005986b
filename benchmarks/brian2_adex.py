"""Brian2's AdEx: one RK4 step and one threshold per dt against the fine clock (``adex_substeps``), on the
``adex_fi`` experiment (its f-I neurons) and on NEST's LSODAR reference, with the NumPy reference and
NEST in the same run.

    python benchmarks/brian2_adex.py [--targets numpy,cython] [--repeat 3] [--substeps 1,4,16]

Prints, per configuration: wall and CPU seconds of the ``adex_fi`` variants (best of ``--repeat``,
configurations interleaved), the spike counts, the worst per-neuron rate difference from the reference,
and NEST's LSODAR metric (mean relative error of V_m and w; NEST's tolerances 5e-4 and 1e-4).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import neurobridge as nb
from neurobridge.app.job import prepare
from neurobridge.app.launch import compose_config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.backends.test_lsodar import INITIAL, PARAMS, TOLERANCES, lsodar_reference, relative_errors  # noqa: E402


def fi_networks() -> dict[str, nb.Network]:
    return prepare(compose_config(["experiment=adex_fi"])).networks


def timed(networks: dict[str, nb.Network], backend: str, options: dict) -> tuple[float, float, dict[str, nb.Result]]:
    wall, cpu = time.perf_counter(), time.process_time()
    results = {name: nb.simulate(network, backend=backend, **options) for name, network in networks.items()}
    return time.perf_counter() - wall, time.process_time() - cpu, results


def rates(results: dict[str, nb.Result]) -> np.ndarray:
    return np.concatenate([np.bincount(r.spikes.neuron.to_numpy(), minlength=r.meta["n_neurons"])
                           for r in results.values()]).astype(float)


def lsodar(backend: str, options: dict) -> dict[str, float]:
    network = {"dt": 0.01, "duration": 100.0, "populations": {
        "n": {"size": 1, "model": "adex", "receptor": "current_exp", "params": PARAMS, "initial": INITIAL}},
        "recordings": [{"population": "n", "variables": ["V_m", "w"]}]}
    return relative_errors(nb.simulate(network, backend=backend, **options), lsodar_reference())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="numpy,cython")
    parser.add_argument("--substeps", default="1,16")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    configurations = [("numpy", {}), ("nest", {})] + [
        ("brian2", {"target": target, "adex_substeps": int(k)})
        for target in args.targets.split(",") for k in args.substeps.split(",")]
    networks = fi_networks()
    for backend, options in configurations[2:]:  # compile once outside the timings (cython's cache)
        if options["target"] != "numpy":
            timed(networks, backend, options)
    best: dict[int, tuple[float, float]] = {}
    outcome: dict[int, dict[str, nb.Result]] = {}
    for _ in range(args.repeat):
        for index, (backend, options) in enumerate(configurations):
            wall, cpu, results = timed(networks, backend, options)
            previous = best.get(index, (np.inf, np.inf))
            best[index] = (min(previous[0], wall), min(previous[1], cpu))
            outcome[index] = results
    reference = rates(outcome[0])
    print(f"adex_fi: {sum(n.populations['neuron'].size for n in networks.values())} neurons, "
          f"variants {', '.join(networks)}; best of {args.repeat}; LSODAR tolerances V_m {TOLERANCES['V_m']:g}, "
          f"w {TOLERANCES['w']:g}")
    for index, (backend, options) in enumerate(configurations):
        wall, cpu = best[index]
        counts = rates(outcome[index])
        errors = lsodar(backend, options)
        label = backend + "".join(f" {k}={v}" for k, v in options.items())
        print(f"{label:40s} wall {wall:7.2f} s  cpu {cpu:7.2f} s  spikes {int(counts.sum()):6d}  "
              f"max |count - numpy| {np.abs(counts - reference).max():4.0f}  "
              f"LSODAR V_m {errors['V_m']:.3g} w {errors['w']:.3g}")


if __name__ == "__main__":
    main()
