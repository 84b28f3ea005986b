"""Where a command's configs come from: the shipped tree, the user's folders, and model files named by path.

``neurobridge run model=nets/brunel.yaml`` (a path, relative to the working directory or
absolute, ending in ``.yaml`` or ``.yml``) reads the file as the ``model`` option of that
name: it is put in Hydra's ConfigStore under the very name the override gives, so Hydra
composes, records (``.hydra/overrides.yaml``) and sweeps it (``model=a.yaml,b.yaml``) like a
shipped model. ``--config-dir DIR`` adds ``DIR`` to the search path (``DIR/model/mine.yaml``
is ``model=mine``); ``--config-path DIR`` replaces the shipped tree (``DIR/config.yaml``).
The same :class:`ConfigSource` serves Hydra's launch and every composition made before it
(:func:`~.plan.plan`), so the checks see exactly the configs the jobs run.

A command that chooses a model (``model=...``) and no experiment runs the ``generic``
experiment: the model as it is, its rates and ISI CVs, raster and rate histogram, named
after the model (``results/<model name>/...``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from hydra.core.config_search_path import SearchPathQuery
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from ..errors import InvalidValueError

CONFIG_MODULE = "neurobridge.conf"
CONFIG_NAME = "config"
#: The endings that make a ``model=`` value a file rather than a shipped model's name.
MODEL_SUFFIXES = (".yaml", ".yml")
#: The experiment of a model that names none.
GENERIC_EXPERIMENT = "generic"


@dataclass(frozen=True)
class ConfigSource:
    """The primary config tree, the config's name and an extra folder searched before the schemas.

    Attributes
    ----------
    path
        ``pkg://neurobridge.conf`` (the shipped tree) or an absolute folder (``--config-path``).
    name
        The primary config's name (``--config-name``), ``config`` by default.
    extra_dir
        An absolute folder added to the search path (``--config-dir``), or ``None``.
    """

    path: str = f"pkg://{CONFIG_MODULE}"
    name: str = CONFIG_NAME
    extra_dir: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ConfigSource:
        """The source Hydra's flags name; relative folders are taken from the working directory."""
        path = args.config_path
        if path is not None and not path.startswith("pkg://"):
            path = os.path.abspath(path)
            if not os.path.isdir(path):
                raise InvalidValueError(f"--config-path {args.config_path}: no such folder ({path}).")
            args.config_path = path
        extra = args.config_dir
        if extra is not None:
            extra = os.path.abspath(extra)
            if not os.path.isdir(extra):
                raise InvalidValueError(f"--config-dir {args.config_dir}: no such folder ({extra}).")
            args.config_dir = extra
        return cls(path or cls.path, args.config_name or CONFIG_NAME, extra)

    def flags(self) -> list[str]:
        """The Hydra flags that name this source (to hand a command on: ``validate`` to ``run``)."""
        out = [] if self.path == ConfigSource.path else ["--config-path", self.path]
        out += [] if self.name == CONFIG_NAME else ["--config-name", self.name]
        return out + ([] if self.extra_dir is None else ["--config-dir", self.extra_dir])

    @contextlib.contextmanager
    def initialized(self) -> Iterator[None]:
        """Hydra initialized on this source for the block (as ``initialize_config_module`` does)."""
        from hydra._internal.hydra import Hydra
        from hydra._internal.utils import create_config_search_path

        primary = self.path if self.path.startswith("pkg://") else f"file://{self.path}"
        search_path = create_config_search_path(primary)
        if self.extra_dir is not None:
            search_path.prepend(provider="command-line", path=f"file://{self.extra_dir}",
                                anchor=SearchPathQuery(provider="schema"))
        global_hydra = GlobalHydra.instance()
        Hydra.create_main_hydra2(task_name="neurobridge", config_search_path=search_path)
        try:
            yield
        finally:
            global_hydra.clear()


def model_files(overrides: list[str]) -> list[str]:
    """Register every model file the overrides name (``model=nets/net.yaml``); returns the overrides,
    with ``experiment=generic`` added when they choose a model and no experiment, and
    ``parameters.g=4`` written ``model.parameters.g=4`` (the model's parameters)."""
    overrides = [_parameter(o) for o in overrides]
    chooses_model = chooses_experiment = False
    for override in overrides:
        key, equals, value = override.partition("=")
        key = key.lstrip("+~")
        chooses_experiment |= key == "experiment" and bool(equals)
        if key != "model" or not equals:
            continue
        chooses_model = True
        for option in _options(override):
            if option.endswith(MODEL_SUFFIXES):
                register_model_file(option)
    if chooses_model and not chooses_experiment:
        return [*overrides, f"experiment={GENERIC_EXPERIMENT}"]
    return list(overrides)


def _parameter(override: str) -> str:
    """``parameters.g=4`` (``+``/``~`` too) as ``model.parameters.g=4``."""
    prefix = override[:len(override) - len(override.lstrip("+~"))]
    rest = override[len(prefix):]
    return f"{prefix}model.{rest}" if rest.startswith("parameters.") else override


def _options(override: str) -> list[str]:
    """The values of ``model=a.yaml`` or of a sweep ``model=a.yaml,b.yaml``."""
    parsed = OverridesParser.create().parse_overrides([override])[0]
    if parsed.is_sweep_override():
        return [str(v) for v in parsed.sweep_string_iterator()]
    return [str(parsed.value())]


def register_model_file(option: str) -> None:
    """Put the file ``option`` names in the ConfigStore as the ``model`` option of that name."""
    path = Path(option).expanduser()
    if not path.is_file():
        raise InvalidValueError(f"model={option}: no such file ({path.absolute()}). A value ending in .yaml is "
                                f"read as a network description from that path; a shipped model is named "
                                f"without the ending (model=cuba).")
    try:
        content = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        first = str(error).strip().splitlines()[0]
        raise InvalidValueError(f"model={option}: cannot read {path} as YAML ({first}).") from None
    if not isinstance(content, dict):
        raise InvalidValueError(f"model={option}: {path} must hold a mapping (a network description), got "
                                f"{content!r}.")
    group, _, name = f"model/{option.strip('/')}".rpartition("/")
    ConfigStore.instance().store(group=group, name=name, node=OmegaConf.create(content))


__all__ = ["ConfigSource", "model_files", "register_model_file", "CONFIG_MODULE", "CONFIG_NAME",
           "GENERIC_EXPERIMENT"]
