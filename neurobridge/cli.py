"""The ``neurobridge`` command.

    neurobridge run experiment=cuba backend=nest [overrides]     one run (Hydra's command line)
    neurobridge run -m experiment=cuba backend=numpy,nest,brian2 a sweep, gathered and compared
    neurobridge validate experiment=cuba [--backends numpy,nest] every backend that supports it, compared
    neurobridge resume DIR                                       run the jobs an interrupted sweep lacks, compare
    neurobridge compare DIR [compare.metrics.ks_rates=0.3]       compare a folder of runs again
    neurobridge backends                                         versions and the support table
    neurobridge demo [--output DIR]                              validate the default experiment
    neurobridge completion bash                                  the shell completion script:
                                                                 eval "$(neurobridge completion bash)"

Output folders: a run never writes into a non-empty folder unless told `overwrite=true`;
a folder is written by one process at a time.

Exit status: 0 when everything ran and agreed, 1 when a comparison failed (a check outside
tolerance, a failed or missing job), 2 on bad input (including a corrupt results file or a
folder in use), 3 when no verdict could be written (disk full, permissions), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .errors import CommandLineError, NeurobridgeError, OutputWriteError

if TYPE_CHECKING:
    from .compare import CompareSettings

BAD_INPUT = 2
NOT_WRITTEN = 3
INTERRUPTED = 130


def model_path(name: str) -> Path:
    """A network description shipped in ``conf/model/`` (``cuba``, ...)."""
    return Path(str(resources.files("neurobridge.conf") / "model" / f"{name}.yaml"))


def compare(directory: str, overrides: list[str], report: bool) -> int:
    """Gather the runs under ``directory``, compare, write table, verdict and report; 0 pass, 1 fail."""
    from .app.layout import compare_folder
    from .compare import format_verdict
    from .errors import InvalidValueError
    from .folders import folder_lock

    if not Path(directory).is_dir():
        raise InvalidValueError(f"{directory} is not a folder of runs.")
    with folder_lock(directory):
        settings = _settings(directory, overrides) if overrides else None
        comparison = compare_folder(directory, settings, report)
    print(format_verdict(comparison))
    print(f"wrote {directory}/comparison.csv, summary.parquet, verdict.json"
          + (", report.md, report.html" if report else ""))
    return 0 if comparison.passed else 1


def _settings(directory: str, overrides: list[str]) -> CompareSettings:
    """The runs' stored comparison settings with ``compare.*`` overrides merged in."""
    from omegaconf import OmegaConf

    from .app.layout import HYDRA
    from .compare import CompareSettings, find_runs, settings_of

    stored = OmegaConf.structured(settings_of(find_runs(directory, HYDRA)))
    changes = OmegaConf.from_dotlist([o.removeprefix("compare.") for o in overrides])
    merged = OmegaConf.to_container(OmegaConf.merge(stored, changes))
    assert isinstance(merged, dict)
    return CompareSettings.from_mapping({str(k): v for k, v in merged.items()})


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


def demo(output: str | None, backend: str | None, overwrite: bool = False) -> int:
    """``neurobridge validate`` on the default experiment, into ``output`` (emptied first with ``overwrite``)."""
    from .app.launch import parse_backends, validate

    launcher = [f"hydra.sweep.dir={output}"] if output else []
    return validate(["overwrite=true"] if overwrite else [], parse_backends(backend), launcher)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (:class:`CommandLineError`), not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        raise CommandLineError(f"{message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="neurobridge", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run an experiment (Hydra command line: -m, --cfg job, ...)",
                              add_help=False)
    run.add_argument("hydra", nargs=argparse.REMAINDER)
    validate = commands.add_parser("validate", help="run on every backend that supports it, then compare")
    validate.add_argument("--backends", help="comma-separated subset, e.g. numpy,nest")
    validate.add_argument("--config-dir", "-cd", help="a folder of your own configs, searched too (DIR/model/mine.yaml"
                                                      " is model=mine)")
    validate.add_argument("--config-path", "-cp", help="a config tree replacing the shipped one (DIR/config.yaml)")
    validate.add_argument("--config-name", "-cn", help="the primary config's name (default: config)")
    validate.add_argument("overrides", nargs="*", default=[], help="Hydra overrides (experiment=cuba model.dt=0.05)")
    resuming = commands.add_parser("resume", help="run the jobs an interrupted multirun lacks, then compare")
    resuming.add_argument("directory", help="the sweep folder (it holds sweep.json)")
    resuming.add_argument("overrides", nargs="*", default=[], help="launcher overrides, e.g. hydra/launcher=joblib")
    comparing = commands.add_parser("compare", help="compare a folder of runs, write the report")
    comparing.add_argument("directory")
    comparing.add_argument("overrides", nargs="*", default=[],
                           help="comparison settings, e.g. compare.metrics.ks_rates=0.3")
    comparing.add_argument("--no-report", action="store_true", help="tables and verdict only")
    commands.add_parser("backends", help="installed backends and what they support")
    demo_command = commands.add_parser("demo", help="validate the default experiment on every backend")
    demo_command.add_argument("--output", help="folder for the runs and the report")
    demo_command.add_argument("--backend", help="comma-separated subset of backends")
    demo_command.add_argument("--overwrite", action="store_true", help="replace what the output folder holds")
    completing = commands.add_parser("completion", help='shell completion: eval "$(neurobridge completion bash)"')
    completing.add_argument("shell", choices=["bash", "zsh"])
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        from .app.launch import parse_backends, validate
        from .app.sources import ConfigSource
        return validate(args.overrides, parse_backends(args.backends), source=ConfigSource.from_args(args))
    if args.command == "resume":
        from .app.launch import resume
        return resume(args.directory, args.overrides)
    if args.command == "compare":
        return compare(args.directory, args.overrides, not args.no_report)
    if args.command == "demo":
        return demo(args.output, args.backend, args.overwrite)
    if args.command == "completion":
        from .completion import script
        print(script(args.shell), end="")
        return 0
    return backends()


def _bad_input_errors() -> tuple[type[BaseException], ...]:
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    return NeurobridgeError, HydraException, OmegaConfBaseException


def _parse(argv: list[str]) -> argparse.Namespace:
    """The arguments, overrides after options included (``validate --backends numpy x=1``)."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "overrides") and not any(e.startswith("-") for e in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.parse_args(argv)  # the standard error for what is left
    return args


def main(argv: list[str] | None = None) -> int:
    """The command; returns its exit status (see the module's docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["__complete-line"]:  # the completion script asks for the candidates of a line
            from .completion import complete_line
            print("\n".join(complete_line(argv[1] if len(argv) > 1 else "")))
            return 0
        if argv[:1] == ["run"]:  # Hydra parses the rest, flags included
            from .app.launch import run
            return run(argv[1:])
        return _dispatch(_parse(argv))
    except _bad_input_errors() as error:
        return _fail(one_line(error), BAD_INPUT)
    except OutputWriteError as error:
        return _fail(str(error), NOT_WRITTEN)
    except KeyboardInterrupt as interrupt:
        return _fail(str(interrupt) or "interrupted", INTERRUPTED, prefix="neurobridge: ")


def _fail(message: str, status: int, prefix: str = "neurobridge: error: ") -> int:
    print(f"{prefix}{message}", file=sys.stderr)
    return status


def one_line(error: BaseException) -> str:
    """The error's own text on one line; Hydra's wrapped cause (the part that names the key) appended once.

    Hydra and OmegaConf spread a message over lines (``full_key: ...``, ``Available options:``
    with one option per line); the lines are joined, lists with commas.
    """
    text = str(error).split("\nConfig search path:")[0].strip()
    cause = error.__cause__
    if cause is not None and str(cause).strip() and str(cause).strip() not in text:
        text = f"{text}\n{str(cause).strip()}"
    return condense(text)


def condense(text: str) -> str:
    """Lines joined into one: ``head: a, b, c`` for a line ending in a colon and the lines after it."""
    parts: list[str] = []
    listing = False
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith(("object_type=", "reference_type=")):
            continue
        if listing and not line.endswith(":"):
            parts[-1] += (" " if parts[-1].endswith(":") else ", ") + line
            continue
        listing = line.endswith(":")
        parts.append(line)
    return "; ".join(part.removesuffix(".") for part in parts[:-1]) + ("; " if len(parts) > 1 else "") + \
        (parts[-1] if parts else "error")


if __name__ == "__main__":
    sys.exit(main())
