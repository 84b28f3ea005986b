"""The ``neurobridge`` command.

    neurobridge run experiment=cuba backend=nest [overrides]     one run (Hydra's command line)
    neurobridge run -m experiment=cuba backend=numpy,nest,brian2 a sweep, gathered and compared
    neurobridge validate experiment=cuba [--backends numpy,nest] every backend that supports it, compared
    neurobridge compare DIR [compare.metrics.ks_rates=0.3]       compare a folder of runs again
    neurobridge backends                                         versions and the support table
    neurobridge demo [--output DIR]                              validate the default experiment

Exit status: 0 when everything ran and agreed, 1 when a comparison failed, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from .errors import NeurobridgeError

BAD_INPUT = 2


def model_path(name: str) -> Path:
    """A network description shipped in ``conf/model/`` (``cuba``, ...)."""
    return Path(str(resources.files("neurobridge.conf") / "model" / f"{name}.yaml"))


def compare(directory: str, overrides: list[str], report: bool) -> int:
    """Gather the runs under ``directory``, compare, write table, verdict and report; 0 pass, 1 fail."""
    from omegaconf import OmegaConf

    from .compare import CompareSettings, compare_directory, find_runs, format_verdict, settings_of

    settings = None
    if overrides:
        stored = OmegaConf.structured(settings_of(find_runs(directory)))
        changes = OmegaConf.from_dotlist([o.removeprefix("compare.") for o in overrides])
        merged = OmegaConf.to_container(OmegaConf.merge(stored, changes))
        assert isinstance(merged, dict)
        settings = CompareSettings.from_mapping({str(k): v for k, v in merged.items()})
    comparison = compare_directory(directory, settings, report=report)
    print(format_verdict(comparison))
    print(f"wrote {directory}/comparison.csv, summary.parquet, verdict.json"
          + (", report.md, report.html" if report else ""))
    return 0 if comparison.passed else 1


def backends() -> int:
    """Installed backends, their versions, options and the support table."""
    from .registry import available_backends, capabilities, get_backend
    from .report import support_table

    installed = set(available_backends())
    for name, caps in capabilities().items():
        version = get_backend(name).simulator_version() if name in installed else "not installed"
        options = ", ".join(f"{k}={o.default!r}" for k, o in caps.options.items()) or "none"
        print(f"{name}: {version}; options: {options}")
        for note in caps.notes:
            print(f"  note: {note}")
    print()
    print(support_table().to_string())
    return 0


def demo(output: str | None, backend: str | None) -> int:
    """``neurobridge validate`` on the default experiment, into ``output``."""
    from .app.launch import parse_backends, validate

    launcher = [f"hydra.sweep.dir={output}"] if output else []
    return validate([], parse_backends(backend), launcher)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="neurobridge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run an experiment (Hydra command line: -m, --cfg job, ...)",
                              add_help=False)
    run.add_argument("hydra", nargs=argparse.REMAINDER)
    validate = commands.add_parser("validate", help="run on every backend that supports it, then compare")
    validate.add_argument("--backends", help="comma-separated subset, e.g. numpy,nest")
    validate.add_argument("overrides", nargs="*", help="Hydra overrides (experiment=cuba model.dt=0.05)")
    comparing = commands.add_parser("compare", help="compare a folder of runs, write the report")
    comparing.add_argument("directory")
    comparing.add_argument("overrides", nargs="*", help="comparison settings, e.g. compare.metrics.ks_rates=0.3")
    comparing.add_argument("--no-report", action="store_true", help="tables and verdict only")
    commands.add_parser("backends", help="installed backends and what they support")
    demo_command = commands.add_parser("demo", help="validate the default experiment on every backend")
    demo_command.add_argument("--output", help="folder for the runs and the report")
    demo_command.add_argument("--backend", help="comma-separated subset of backends")
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        from .app.launch import parse_backends, validate
        return validate(args.overrides, parse_backends(args.backends))
    if args.command == "compare":
        return compare(args.directory, args.overrides, not args.no_report)
    if args.command == "demo":
        return demo(args.output, args.backend)
    return backends()


def _bad_input_errors() -> tuple[type[BaseException], ...]:
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    return NeurobridgeError, HydraException, OmegaConfBaseException


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["run"]:  # Hydra parses the rest, flags included
            from .app.launch import run
            return run(argv[1:])
        return _dispatch(_parser().parse_args(argv))
    except _bad_input_errors() as error:
        print(f"neurobridge: error: {_message(error)}", file=sys.stderr)
        return BAD_INPUT


def _message(error: BaseException) -> str:
    """The error's own text; Hydra's wrapped causes (the part that names the key) appended once."""
    text = str(error).split("\nConfig search path:")[0].strip()
    cause = error.__cause__
    if cause is not None and str(cause).strip() and str(cause).strip() not in text:
        text = f"{text}\n{str(cause).strip()}"
    return text


if __name__ == "__main__":
    sys.exit(main())
