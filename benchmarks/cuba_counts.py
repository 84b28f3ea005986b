"""CUBA (conf/model/cuba.yaml, 4000 neurons, 1 s) on every installed backend: spike counts per population
and a digest of every spike train, to show that a change leaves the realized network's spikes as they were.

    python benchmarks/cuba_counts.py [--backends numpy,nest,brian2]

Run it before and after a change (PYTHONPATH pointing at the older package) and compare the lines.
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np

import neurobridge as nb
from neurobridge.cli import model_path


def digest(result: nb.Result) -> str:
    spikes = result.spikes.sort_values(["population", "neuron", "time_ms"])
    steps = np.round(spikes.time_ms.to_numpy() / result.meta["dt_ms"]).astype(np.int64)
    text = spikes.population.astype(str).str.cat(sep=",") + str(spikes.neuron.tolist()) + str(steps.tolist())
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(nb.available_backends()))
    args = parser.parse_args()
    network = nb.load(model_path("cuba"))
    for backend in args.backends.split(","):
        result = nb.simulate(network, backend=backend)
        counts = result.spikes.groupby("population").size().to_dict()
        print(f"{backend:8s} {nb.__file__.rsplit('/', 2)[0]}: counts {counts}, spikes digest {digest(result)}")


if __name__ == "__main__":
    main()
