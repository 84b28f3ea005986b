"""Shell completion for ``neurobridge``: subcommands, config options, model files, flags.

Hydra's own completion (``neurobridge run -sc install=bash``) cannot serve here: its helper calls
the program with ``-sc query=bash`` and reads every word as an override, so it knows neither the
subcommands nor the words after them. Instead::

    eval "$(neurobridge completion bash)"      # in ~/.bashrc; zsh: autoload bashcompinit first

installs a function that asks ``neurobridge __complete-line "$line"`` for the candidates of the last
(partial) word: subcommands; for ``run`` and ``validate`` the config groups and their options
(``experiment=cu`` -> ``experiment=cuba``; ``model=nets/`` -> the YAML files there), top-level keys
and Hydra's flags; backend names after ``--backends``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

COMMANDS = ("run", "validate", "resume", "compare", "backends", "demo", "completion")
#: Config groups and where their options live in the shipped tree.
GROUPS = ("experiment", "model", "backend", "compare", "hydra/launcher")
KEYS = ("model.", "parameters.", "backend.options.", "experiment.", "compare.", "progress=", "overwrite=",
        "resume=", "memory_limit_gb=", "hydra.sweep.dir=", "hydra.run.dir=")
RUN_FLAGS = ("-m", "--multirun", "--cfg", "--config-dir", "--config-path", "--config-name", "--info", "--help")
VALIDATE_FLAGS = ("--backends", "--config-dir", "--config-path", "--config-name")
#: Characters bash splits words at by default (``COMP_WORDBREAKS``) that occur in overrides.
WORD_BREAKS = "=:"

BASH = """\
# neurobridge completion for bash (and zsh with bashcompinit): eval "$(neurobridge completion bash)"
_neurobridge_complete() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local IFS=$'\\n'
    COMPREPLY=($(neurobridge __complete-line "$line" 2>/dev/null))
    if [[ ${#COMPREPLY[@]} -eq 1 && "${COMPREPLY[0]}" =~ [=./]$ ]]; then
        compopt -o nospace  # a key or a folder: the word goes on
    fi
}
complete -o default -F _neurobridge_complete neurobridge
"""


def options(group: str, config_dir: Path | None = None) -> list[str]:
    """The options of a config group: the shipped ones and those in ``config_dir``."""
    folders = [Path(str(resources.files("neurobridge.conf"))) / group]
    if config_dir is not None:
        folders.append(config_dir / group)
    found = {p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.yaml")}
    return sorted(found)


def _files(prefix: str) -> list[str]:
    """YAML files and folders under the path ``prefix`` names (``nets/br`` -> ``nets/brunel.yaml``)."""
    folder, _, start = prefix.rpartition("/")
    base = Path(folder or ".").expanduser()
    if not base.is_dir():
        return []
    lead = f"{folder}/" if folder else ""
    out = []
    for path in sorted(base.iterdir()):
        if not path.name.startswith(start) or (path.name.startswith(".") and not start.startswith(".")):
            continue
        if path.is_dir():
            out.append(f"{lead}{path.name}/")
        elif path.suffix in (".yaml", ".yml"):
            out.append(f"{lead}{path.name}")
    return out


def candidates(words: list[str]) -> list[str]:
    """Whole-word candidates for the last of ``words`` (the words after ``neurobridge``)."""
    if not words:
        words = [""]
    current, before = words[-1], words[:-1]
    if not before:
        return [c for c in COMMANDS if c.startswith(current)]
    command = before[0]
    if command == "completion":
        return [c for c in ("bash", "zsh") if c.startswith(current)] if len(before) == 1 else []
    if command not in ("run", "validate"):
        return []  # folders: the shell's own completion (-o default)
    if before[-1] == "--backends":
        from .registry import backend_names

        return [b for b in backend_names() if b.startswith(current)]
    if before[-1] in ("--config-dir", "--config-path", "-cd", "-cp"):
        return []
    config_dir = _config_dir(before)
    if current.startswith("-"):
        return [f for f in (RUN_FLAGS if command == "run" else VALIDATE_FLAGS) if f.startswith(current)]
    key, equals, value = current.partition("=")
    if equals and key in GROUPS:
        found = options(key, config_dir)
        if key == "model" and ("/" in value or value.startswith(".") or value.endswith((".y", ".ya", ".yam"))):
            found = _files(value)
        elif key == "model":
            found += _files(value)
        return [f"{key}={o}" for o in found if o.startswith(value)]
    groups = [f"{g}=" for g in GROUPS if not (command == "validate" and g == "backend")]
    return [c for c in (*groups, *KEYS) if c.startswith(current)]


def _config_dir(words: list[str]) -> Path | None:
    for flag in ("--config-dir", "-cd"):
        if flag in words[:-1]:
            return Path(words[words.index(flag) + 1]).expanduser()
    return None


def complete_line(line: str) -> list[str]:
    """Candidates for the command line typed so far, trimmed as bash replaces the word being typed
    (after its last ``=`` or ``:``, which bash treats as word breaks)."""
    import shlex

    try:
        words = shlex.split(line)
    except ValueError:  # an open quote
        words = line.split()
    if line.endswith((" ", "\t")) or not words:
        words.append("")
    words = words[1:] or [""]  # the program's name
    current = words[-1]
    cut = max(current.rfind(c) for c in WORD_BREAKS) + 1
    # bash's word is what follows the last break; right after a break it is the break itself
    start = cut - 1 if 0 < cut == len(current) else cut
    return [c[start:] for c in candidates(words)]


def script(shell: str) -> str:
    """The completion script for ``shell`` (``bash``; ``zsh`` through bashcompinit)."""
    if shell == "zsh":
        return "autoload -U +X bashcompinit && bashcompinit\n" + BASH
    return BASH


__all__ = ["candidates", "complete_line", "options", "script", "COMMANDS"]
