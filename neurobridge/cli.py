"""The ``neurobridge`` command."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from .errors import NeurobridgeError


def model_path(name: str) -> Path:
    """A network description shipped in ``conf/model/`` (``cuba``, ...)."""
    return Path(str(resources.files("neurobridge.conf") / "model" / f"{name}.yaml"))


def demo(output: str, backend: str) -> int:
    """CUBA (Brette et al. 2007) on one backend: print the rates, write a raster and the Parquet files."""
    from . import load, simulate
    from .plotting import raster

    network = load(model_path("cuba"))
    result = simulate(network, backend=backend)
    directory = result.save(output)
    raster(result, directory / "raster.png")
    meta = result.meta
    print(f"CUBA, {meta['n_neurons']} neurons, {meta['n_synapses']} synapses, {meta['duration_ms']:.0f} ms "
          f"on {backend} ({meta['simulator_version']})")
    print(f"  realize {meta['realize_seconds']:.2f} s, build {meta['build_seconds']:.2f} s, "
          f"run {meta['run_seconds']:.2f} s")
    for population, rate in result.rates().items():
        print(f"  {population}: {rate:.2f} Hz")
    print(f"  wrote {directory}/spikes.parquet, states.parquet, meta.json, raster.png")
    return 0


def backends() -> int:
    from .registry import available_backends, backend_names, capabilities, get_backend

    installed = set(available_backends())
    for name, caps in capabilities().items():
        version = get_backend(name).simulator_version() if name in installed else "not installed"
        print(f"{name}: {version}")
        pairs = sorted(f"{m}×{r}" for m, r in caps.pairs)
        print(f"  models: {', '.join(pairs)}")
        print(f"  synapses: {', '.join(sorted(caps.synapses))}; stimuli: {', '.join(sorted(caps.stimuli))}")
        print(f"  sources: {', '.join(sorted(caps.sources))}; connectors: {', '.join(sorted(caps.connectors))}")
    _ = backend_names
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neurobridge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser("demo", help="run CUBA on the reference backend")
    run_demo.add_argument("--output", default="results/demo")
    run_demo.add_argument("--backend", default="numpy")
    commands.add_parser("backends", help="installed backends and what they support")
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return demo(args.output, args.backend)
        return backends()
    except NeurobridgeError as error:
        print(f"neurobridge: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
