"""``native: true`` on Brian2: statistical agreement with the realized network and with NEST's native run.

Two cases, the networks of ``tests/backends/test_brian2.py``:

* PoissonInput: 200 LIF neurons, each taking 100 of 500 Poisson sources (20 Hz, 100-1800 ms) through a
  fixed in-degree, per receptor. Mean rate of the realized network on the reference, of Brian2's
  PoissonInput and of NEST's poisson_generator (native), and Brian2's wall time native vs realized.
* The same at in-degree 1000 of 5000 sources (weight 9 pA, 1 s), with and without multapses: rates of
  single draws, and Brian2's run time (simulation loop only) native vs realized.
* Noise: 200 passive neurons under NEST noise_generator noise (std 100 pA, redrawn every 0.5 ms):
  the stationary V_m spread against the exact formula.

Run: ``.venv/bin/python benchmarks/brian2_native.py [--backends numpy,nest,brian2]``
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import neurobridge as nb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.*
from tests.backends.test_brian2 import (  # noqa: E402
    POISSON_INPUT_WEIGHTS,
    _noise_network,
    _passive_noise_std,
    _poisson_input_network,
)


def _simulate(data: dict, backend: str) -> tuple[nb.Result, float]:
    started = time.perf_counter()
    result = nb.simulate(nb.Network.from_dict(data), backend=backend)
    return result, time.perf_counter() - started


def poisson_input(backends: list[str]) -> None:
    print("PoissonInput: layer rate (Hz); brian2 wall time native / realized (s)")
    print(f"{'receptor':<18}{'realized':>9}{'brian2':>9}{'nest':>9}{'b2 native':>11}{'b2 realized':>12}")
    for receptor, weight in POISSON_INPUT_WEIGHTS.items():
        exact, _ = _simulate(_poisson_input_network(receptor, weight, native=False), "numpy")
        row = {"realized": exact.rates()["layer"]}
        native_seconds = realized_seconds = float("nan")
        if "brian2" in backends:
            result, native_seconds = _simulate(_poisson_input_network(receptor, weight), "brian2")
            row["brian2"] = result.rates()["layer"]
            _, realized_seconds = _simulate(_poisson_input_network(receptor, weight, native=False), "brian2")
        if "nest" in backends:
            row["nest"] = _simulate(_poisson_input_network(receptor, weight), "nest")[0].rates()["layer"]
        print(f"{receptor:<18}{row['realized']:9.2f}{row.get('brian2', float('nan')):9.2f}"
              f"{row.get('nest', float('nan')):9.2f}{native_seconds:11.2f}{realized_seconds:12.2f}")


def large_in_degree(backends: list[str]) -> None:
    print("\nin-degree 1000 of 5000: layer rate (Hz); brian2 run seconds")
    for native, multapses in ((True, True), (True, False), (False, True), (False, False)):
        data = _poisson_input_network("current_exp", 9.0, native=native, duration=1000.0)
        data["populations"]["inputs"]["size"] = 5000
        data["projections"][0]["connector"] = {"fixed_indegree": 1000, "allow_multapses": multapses}
        cells = []
        for backend in backends:
            if native and backend == "numpy":
                continue  # the reference has no native draws
            if native and backend == "brian2" and not multapses:
                continue  # PoissonInput's inputs are independent either way
            result, _ = _simulate(data, backend)
            run = f" ({result.meta['run_seconds']:.2f} s)" if backend == "brian2" else ""
            cells.append(f"{backend} {result.rates()['layer']:.2f}{run}")
        kind = "native" if native else "realized"
        print(f"{kind:<9}multapses {str(multapses):<6}" + "   ".join(cells))


def noise(backends: list[str]) -> None:
    expected = _passive_noise_std(100.0, every=5, tau_m=10.0, C_m=250.0, dt=0.1)
    print(f"\nnoise: stationary V_m std (mV), formula {expected:.4f}")
    for backend in backends:
        result, _ = _simulate(_noise_network(100.0, native=True), backend)
        states = result.states[result.states.population == "n"]
        traces = states.pivot(index="time_ms", columns="neuron", values="value").loc[100.0:400.0].to_numpy()
        kind = "realized trace" if backend == "numpy" else "native"
        print(f"{backend:<8}{kind:<16}{traces.std():8.4f}  ({traces.std() / expected - 1:+.2%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="numpy,nest,brian2")
    backends = parser.parse_args().backends.split(",")
    warnings.simplefilter("ignore")
    poisson_input(backends)
    large_in_degree(backends)
    noise(backends)


if __name__ == "__main__":
    main()
