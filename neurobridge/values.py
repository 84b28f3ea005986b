"""Values that may be a scalar, a per-neuron list or a distribution.

A value specification is plain data: ``-65.0``, ``[1.0, 2.0, 3.0]``,
``{normal: {mean: 0, std: 1}, min: -2}``, ``{uniform: [0, 1]}``,
``{gamma: {shape: 2, scale: 0.002}, factor: -1}``, ``{lognormal: {mean: 0, sigma: 1}}``
or ``{linspace: [first, last]}``. :func:`check` validates one at description
time; :func:`sample` turns it into an array with a seeded generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .catalog import DISTRIBUTION_OPTIONS, DISTRIBUTIONS
from .errors import InvalidValueError, unknown

Spec = Any  # float | list[float] | dict

_DISTRIBUTION_FIELDS = {
    "normal": ("mean", "std"),
    "uniform": ("low", "high"),
    "gamma": ("shape", "scale"),
    "lognormal": ("mean", "sigma"),
    "linspace": ("first", "last"),
}


def _fields(kind: str, args: Any, where: str) -> dict[str, float]:
    names = _DISTRIBUTION_FIELDS[kind]
    if isinstance(args, (list, tuple)):
        if len(args) != len(names):
            raise InvalidValueError(
                f"{where}: {kind} takes [{', '.join(names)}], got {list(args)!r}.")
        args = dict(zip(names, args))
    if not isinstance(args, dict):
        raise InvalidValueError(
            f"{where}: {kind} takes {{{', '.join(names)}}} or [{', '.join(names)}], got {args!r}.")
    for key in args:
        if key not in names:
            raise unknown(f"{kind} field", key, where, names)
    missing = [n for n in names if n not in args]
    if missing:
        raise InvalidValueError(f"{where}: {kind} needs {', '.join(missing)}, got {args!r}.")
    return {n: _number(args[n], f"{where}.{kind}.{n}") for n in names}


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidValueError(f"{where} must be a number, got {value!r}.")
    return float(value)


def check(spec: Spec, where: str) -> Spec:
    """Validate a value specification and return it in canonical form (floats, dicts)."""
    if isinstance(spec, dict):
        kinds = [k for k in spec if k not in DISTRIBUTION_OPTIONS]
        if len(kinds) != 1:
            raise InvalidValueError(
                f"{where}: a distribution is one of {', '.join(DISTRIBUTIONS)} "
                f"(with optional {', '.join(DISTRIBUTION_OPTIONS)}), got {spec!r}.")
        kind = kinds[0]
        if kind not in _DISTRIBUTION_FIELDS:
            raise unknown("distribution", kind, where, DISTRIBUTIONS)
        canonical: dict[str, Any] = {kind: _fields(kind, spec[kind], where)}
        for option in DISTRIBUTION_OPTIONS:
            if option in spec:
                canonical[option] = _number(spec[option], f"{where}.{option}")
        if kind in ("normal",) and canonical[kind]["std"] < 0:
            raise InvalidValueError(f"{where}.normal.std must be >= 0, got {canonical[kind]['std']}.")
        if kind == "gamma" and min(canonical[kind].values()) <= 0:
            raise InvalidValueError(f"{where}.gamma shape and scale must be > 0, got {canonical[kind]}.")
        if kind == "uniform" and canonical[kind]["high"] < canonical[kind]["low"]:
            raise InvalidValueError(f"{where}.uniform needs low <= high, got {canonical[kind]}.")
        return canonical
    if isinstance(spec, (list, tuple, np.ndarray)):
        return [_number(v, f"{where}[{i}]") for i, v in enumerate(spec)]
    return _number(spec, where)


def is_random(spec: Spec) -> bool:
    """True when sampling ``spec`` consumes random numbers."""
    return isinstance(spec, dict) and "linspace" not in spec


def bounds(spec: Spec) -> tuple[float, float]:
    """Smallest and largest value ``spec`` can take (distributions: their support after clipping)."""
    if isinstance(spec, dict):
        kind = next(k for k in spec if k not in DISTRIBUTION_OPTIONS)
        args = spec[kind]
        if kind == "uniform":
            low, high = args["low"], args["high"]
        elif kind == "linspace":
            low, high = sorted((args["first"], args["last"]))
        else:
            low, high = (-np.inf if kind == "normal" else 0.0), np.inf
        factor = spec.get("factor", 1.0)
        low, high = sorted((low * factor, high * factor)) if factor != 0 else (0.0, 0.0)
        return max(low, spec.get("min", -np.inf)), min(high, spec.get("max", np.inf))
    if isinstance(spec, list):
        return (min(spec), max(spec)) if spec else (0.0, 0.0)
    return spec, spec


def sample(spec: Spec, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` values (float64) from a checked specification."""
    if isinstance(spec, list):
        if len(spec) != n:
            raise InvalidValueError(f"a per-neuron list needs {n} values, got {len(spec)}.")
        return np.asarray(spec, dtype=float)
    if not isinstance(spec, dict):
        return np.full(n, float(spec))
    kind = next(k for k in spec if k not in DISTRIBUTION_OPTIONS)
    a = spec[kind]
    if kind == "normal":
        values = rng.normal(a["mean"], a["std"], n)
    elif kind == "uniform":
        values = rng.uniform(a["low"], a["high"], n)
    elif kind == "gamma":
        values = rng.gamma(a["shape"], a["scale"], n)
    elif kind == "lognormal":
        values = rng.lognormal(a["mean"], a["sigma"], n)
    else:
        values = np.linspace(a["first"], a["last"], n)
    values = values * spec.get("factor", 1.0)
    if "min" in spec or "max" in spec:
        values = np.clip(values, spec.get("min", -np.inf), spec.get("max", np.inf))
    return values
