"""``izhikevich_recurrent`` (1000 neurons, 1 s, dt 0.5 ms) on the NumPy backend against the tutorial's own loop.

The competitor is the loop of the tutorial (seed 004, step 4) written out here as it describes it:
``T x n`` arrays of ``v`` and ``u``, a dense input weight matrix, the recurrent weights as a
``scipy.sparse`` CSR matrix, and every step ``s <- (1 - dt / tau_s) s + fired``,
``I = W (s E) - (W s) v``, a forward Euler step for every neuron and uniform draws for the
Poisson inputs. Both run in this process on this machine; the ratio is printed.

Usage: python benchmarks/izhikevich.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

import neurobridge as nb

MODEL = Path(__file__).resolve().parents[1] / "conf" / "model" / "izhikevich_recurrent.yaml"


def neurobridge_numpy() -> tuple[float, float, dict[str, float]]:
    """Seconds to realize and build, seconds to run, mean rates (Hz)."""
    network = nb.load(MODEL)
    started = time.perf_counter()
    result = nb.simulate(network, backend="numpy")
    total = time.perf_counter() - started
    run = result.meta["run_seconds"]
    return total - run, run, result.rates().round(2).to_dict()


def tutorial_network(rng: np.random.Generator, n: int = 1000, n_in: int = 100) -> dict[str, np.ndarray]:
    """The tutorial's arrays: neuron types, parameters, input and recurrent weights (I->E doubled)."""
    inh = rng.uniform(size=n) < 0.2
    exc = ~inh
    W = np.zeros((n, n))
    chosen = np.nonzero(rng.uniform(size=(n, n)) < 0.1)
    W[chosen] = rng.gamma(0.005 / 0.002, scale=0.002, size=chosen[0].size)
    W[np.ix_(exc, inh)] *= 2.0
    return {"inh": inh, "a": np.where(inh, 0.1, 0.02), "d": np.where(inh, 2.0, 8.0),
            "E": np.where(inh, -85.0, 0.0), "W": csr_matrix(W),
            "W_in": np.where(rng.uniform(size=(n, n_in)) < 0.1, 0.07, 0.0)}


def tutorial_loop(net: dict[str, np.ndarray], rng: np.random.Generator, tmax: float = 1000.0,
                  dt: float = 0.5) -> np.ndarray:
    """The tutorial's step-4 loop; returns the ``T x n`` voltage array (spikes marked at 35 mV)."""
    n, n_in = net["W_in"].shape
    T = int(np.ceil(tmax / dt))
    v, u = np.zeros((T, n)), np.zeros((T, n))
    v[0], u[0] = -70.0, -14.0
    s_in, E_in, s = np.zeros(n_in), np.zeros(n_in), np.zeros(n)
    W, W_in, E, a, d = net["W"], net["W_in"], net["E"], net["a"], net["d"]
    prate, on = dt * 2.0 * 1e-3, np.array([200.0, 700.0]) / dt
    for t in range(T - 1):
        p = rng.uniform(size=n_in) < prate if on[0] < t < on[1] else 0.0
        s_in = (1 - dt / 10.0) * s_in + p
        current = W_in.dot(s_in * E_in) - W_in.dot(s_in) * v[t]
        fired = v[t] >= 35
        s = (1 - dt / 10.0) * s + fired
        current += W.dot(s * E) - W.dot(s) * v[t]
        v[t + 1] = v[t] + dt * ((0.04 * v[t] + 5) * v[t] + 140 - u[t] + current)
        u[t + 1] = u[t] + dt * a * (0.2 * v[t] - u[t])
        v[t][fired] = 35
        v[t + 1][fired] = -65.0
        u[t + 1][fired] = u[t][fired] + d[fired]
    return v


def tutorial() -> tuple[float, float, dict[str, float]]:
    """Seconds to build, seconds to run, mean rates (Hz) of the tutorial's loop."""
    rng = np.random.default_rng(5)
    started = time.perf_counter()
    net = tutorial_network(rng)
    built = time.perf_counter()
    v = tutorial_loop(net, rng)
    finished = time.perf_counter()
    counts = (v == 35).sum(axis=0)
    rates = {"exc": counts[~net["inh"]].mean(), "inh": counts[net["inh"]].mean()}
    return built - started, finished - built, {k: round(float(r), 2) for k, r in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest counts")
    args = parser.parse_args()
    rows = {}
    for name, function in (("neurobridge numpy", neurobridge_numpy), ("tutorial loop", tutorial)):
        runs = [function() for _ in range(args.repeat)]
        rows[name] = min(runs, key=lambda r: r[1])
    print("izhikevich_recurrent: 1000 Izhikevich neurons (800 RS, 200 FS), 1000 ms at dt 0.5 ms")
    print(f"{'':20s} {'build s':>8s} {'run s':>8s}  rates (Hz)")
    for name, (build, run, rates) in rows.items():
        print(f"{name:20s} {build:8.3f} {run:8.3f}  {rates}")
    ours, theirs = rows["neurobridge numpy"][1], rows["tutorial loop"][1]
    print(f"run-time ratio tutorial loop / neurobridge numpy: {theirs / ours:.2f}")


if __name__ == "__main__":
    main()
