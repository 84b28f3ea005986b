"""Values that may be a scalar, a per-item list or a distribution.

A value specification is plain data: ``-65.0``, ``[1.0, 2.0, 3.0]``,
``{normal: {mean: 0, std: 1}, min: -2}``, ``{uniform: [0, 1]}``,
``{gamma: {shape: 2, scale: 0.002}, factor: -1}``, ``{lognormal: {mean: 0, sigma: 1}}``,
``{truncated_normal: {mean: 1.5, std: 0.75, low: 0.1, high: .inf}}`` (NEST's ``redraw``: a value
outside ``[low, high]`` is drawn again, where ``min``/``max`` clip it) or ``{linspace: [first, last]}``.
:func:`check` validates one at description time (every number finite, every field known, the values
it can take inside what the field allows); :func:`sample` turns it into an array with a seeded
generator and refuses a draw that is not finite or beyond :data:`~.catalog.MAX_MAGNITUDE`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .catalog import ANY, DISTRIBUTION_OPTIONS, DISTRIBUTION_REGISTRY, DISTRIBUTIONS, MAX_MAGNITUDE, Interval
from .errors import InvalidValueError, unknown

Spec = Any  # float | list[float] | dict

#: The smallest positive float: the lower end of the support of gamma and lognormal (never 0 itself).
_TINY = math.ulp(0.0)


def number(value: Any, where: str, allowed: Interval = ANY, infinite: bool = False,
           limit: float = MAX_MAGNITUDE) -> float:
    """A finite number (``inf`` only where ``infinite``) of magnitude at most ``limit``, inside ``allowed``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidValueError(f"{where} must be a number, got {value!r}.")
    result = float(value)
    if math.isnan(result) or (math.isinf(result) and not (infinite and result > 0)):
        what = "a finite number or .inf" if infinite else "a finite number"
        raise InvalidValueError(f"{where} must be {what}, got {value!r}.")
    if math.isfinite(result) and abs(result) > limit:
        raise InvalidValueError(f"{where} must be at most {limit:g} in magnitude (NEST's units), got {value!r}.")
    if not allowed.contains(result, result):
        raise InvalidValueError(f"{where} must be {allowed.describe()}, got {value!r}.")
    return result


def _fields(kind: str, args: Any, where: str) -> dict[str, float]:
    spec = DISTRIBUTION_REGISTRY[kind]
    names = tuple(q.name for q in spec.fields)
    if isinstance(args, (list, tuple)):
        if len(args) != len(names):
            raise InvalidValueError(f"{where}.{kind} takes [{', '.join(names)}], got {list(args)!r}.")
        args = dict(zip(names, args))
    if not isinstance(args, dict):
        raise InvalidValueError(
            f"{where}.{kind} takes {{{', '.join(names)}}} or [{', '.join(names)}], got {args!r}.")
    for key in args:
        if key not in names:
            raise unknown(f"{kind} field", key, f"{where}.{kind}", names)
    missing = [n for n in names if n not in args]
    if missing:
        raise InvalidValueError(f"{where}.{kind} needs {', '.join(missing)}, got {args!r}.")
    if kind == "truncated_normal":  # its bounds may be infinite: low -inf, high inf
        low = -number(-args["low"], f"{where}.{kind}.low", infinite=True) if _is_number(args["low"]) else \
            number(args["low"], f"{where}.{kind}.low")
        high = number(args["high"], f"{where}.{kind}.high", infinite=True)
        return {"mean": number(args["mean"], f"{where}.{kind}.mean"),
                "std": number(args["std"], f"{where}.{kind}.std", spec.fields[1].allowed), "low": low, "high": high}
    return {q.name: number(args[q.name], f"{where}.{kind}.{q.name}", q.allowed) for q in spec.fields}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


#: NEST's redraw gives up on a value after 1000 redraws; a truncated normal must keep at least this share of
#: its normal, so that never happens to any of millions of draws (0.95 ** 1000 is 5e-23).
MIN_TRUNCATED_MASS = 0.05
#: Rounds of redrawing in :func:`sample` (each keeps at least 5% of what is left outside): never reached.
_MAX_REDRAW_ROUNDS = 10_000


def normal_mass(mean: float, std: float, low: float, high: float) -> float:
    """The probability that a normal of ``mean`` and ``std`` falls in ``[low, high]``."""
    if std == 0:
        return 1.0 if low <= mean <= high else 0.0

    def cdf(x: float) -> float:
        return 0.5 * math.erfc(-(x - mean) / (std * math.sqrt(2.0)))

    return cdf(high) - cdf(low)


def check(spec: Spec, where: str, allowed: Interval = ANY, size: int | None = None,
          what: str = "neuron", limit: float = MAX_MAGNITUDE) -> Spec:
    """Validate a value specification and return it in canonical form (floats, dicts).

    Parameters
    ----------
    spec
        A scalar, a list or a distribution.
    where
        The field's path, for messages (``populations.exc.params.tau_m``).
    allowed
        What every value must be; a distribution must not be able to leave it (give ``min``/``max``).
    size
        How many values a list must hold (``None``: lists are refused, the count is not known).
    what
        What a list gives one value per (``neuron``, ``synapse``), for messages.
    limit
        The largest magnitude of a scalar or listed value (drawn ones are checked by :func:`sample`).
    """
    if isinstance(spec, dict):
        canonical = _distribution(spec, where)
        low, high = bounds(canonical)
        if not allowed.contains(low, high):
            raise InvalidValueError(
                f"{where} must be {allowed.describe()}, but {_describe(canonical)} can give values from "
                f"{low:g} to {high:g}; bound it with min/max.")
        return canonical
    if isinstance(spec, (list, tuple, np.ndarray)):
        if size is None:
            raise InvalidValueError(f"{where}: a list needs a known number of {what}s; give a scalar or "
                                    f"a distribution, got a list of {len(spec)}.")
        if len(spec) != size:
            raise InvalidValueError(f"{where}: a per-{what} list needs {size} values, got {len(spec)}.")
        return [number(v, f"{where}[{i}]", allowed, limit=limit) for i, v in enumerate(spec)]
    return number(spec, where, allowed, limit=limit)


def _distribution(spec: dict, where: str) -> dict[str, Any]:
    kinds = [k for k in spec if k not in DISTRIBUTION_OPTIONS]
    if len(kinds) != 1:
        raise InvalidValueError(
            f"{where}: a distribution is one of {', '.join(DISTRIBUTIONS)} "
            f"(with optional {', '.join(DISTRIBUTION_OPTIONS)}), got {spec!r}.")
    kind = kinds[0]
    DISTRIBUTION_REGISTRY.lookup(kind, where)
    canonical: dict[str, Any] = {kind: _fields(kind, spec[kind], where)}
    for option in DISTRIBUTION_OPTIONS:
        if option in spec:
            canonical[option] = number(spec[option], f"{where}.{option}")
    if kind in ("uniform", "truncated_normal") and canonical[kind]["high"] < canonical[kind]["low"]:
        raise InvalidValueError(f"{where}.{kind} needs low <= high, got {canonical[kind]}.")
    if kind == "truncated_normal":
        a = canonical[kind]
        mass = normal_mass(a["mean"], a["std"], a["low"], a["high"])
        if mass < MIN_TRUNCATED_MASS:
            raise InvalidValueError(
                f"{where}.truncated_normal: a normal of mean {a['mean']:g} and std {a['std']:g} falls in "
                f"[{a['low']:g}, {a['high']:g}] with probability {mass:.3g}; NEST redraws a value at most 1000 "
                f"times, so the bounds must hold at least {MIN_TRUNCATED_MASS:g} of it.")
    if canonical.get("min", -math.inf) > canonical.get("max", math.inf):
        raise InvalidValueError(f"{where} needs min <= max, got min {canonical['min']:g} and "
                                f"max {canonical['max']:g}.")
    return canonical


def _describe(spec: dict[str, Any]) -> str:
    kind = kind_of(spec)
    return f"{kind} {spec[kind]}"


def kind_of(spec: dict[str, Any]) -> str:
    """The distribution's name (``normal``, ...)."""
    return next(k for k in spec if k not in DISTRIBUTION_OPTIONS)


def is_random(spec: Spec) -> bool:
    """True when sampling ``spec`` consumes random numbers."""
    return isinstance(spec, dict) and DISTRIBUTION_REGISTRY[kind_of(spec)].random


def bounds(spec: Spec) -> tuple[float, float]:
    """Smallest and largest value ``spec`` can take (distributions: their support after clipping)."""
    if isinstance(spec, dict):
        kind = kind_of(spec)
        args = spec[kind]
        if kind == "uniform":
            low, high = args["low"], args["high"]
        elif kind == "linspace":
            low, high = sorted((args["first"], args["last"]))
        elif kind == "normal":
            low, high = (-math.inf, math.inf) if args["std"] > 0 else (args["mean"], args["mean"])
        elif kind == "truncated_normal":
            low, high = (args["low"], args["high"]) if args["std"] > 0 else (args["mean"], args["mean"])
        else:  # gamma, lognormal: (0, inf), never 0
            low, high = _TINY, math.inf
        factor = spec.get("factor", 1.0)
        low, high = sorted((low * factor, high * factor)) if factor != 0 else (0.0, 0.0)
        return max(low, spec.get("min", -math.inf)), min(high, spec.get("max", math.inf))
    if isinstance(spec, list):
        return (min(spec), max(spec)) if spec else (0.0, 0.0)
    return spec, spec


def sample(spec: Spec, n: int, rng: np.random.Generator, where: str = "a value") -> np.ndarray:
    """Draw ``n`` values (float64) from a checked specification; a draw beyond
    :data:`~.catalog.MAX_MAGNITUDE` (or not finite) is refused, naming ``where``."""
    if isinstance(spec, list):
        if len(spec) != n:
            raise InvalidValueError(f"{where}: a per-neuron list needs {n} values, got {len(spec)}.")
        return np.asarray(spec, dtype=float)
    if not isinstance(spec, dict):
        return np.full(n, float(spec))
    kind = kind_of(spec)
    a = spec[kind]
    with np.errstate(over="ignore"):
        if kind == "normal":
            drawn = rng.normal(a["mean"], a["std"], n)
        elif kind == "uniform":
            drawn = rng.uniform(a["low"], a["high"], n)
        elif kind == "gamma":
            drawn = rng.gamma(a["shape"], a["scale"], n)
        elif kind == "lognormal":
            drawn = rng.lognormal(a["mean"], a["sigma"], n)
        elif kind == "truncated_normal":
            drawn = _redrawn_normal(a["mean"], a["std"], a["low"], a["high"], n, rng)
        else:
            drawn = np.linspace(a["first"], a["last"], n)
        drawn = drawn * spec.get("factor", 1.0)
    if "min" in spec or "max" in spec:
        drawn = np.clip(drawn, spec.get("min", -np.inf), spec.get("max", np.inf))
    return _checked_draws(drawn, where)


def _redrawn_normal(mean: float, std: float, low: float, high: float, n: int,
                    rng: np.random.Generator) -> np.ndarray:
    """NEST's redraw, vectorised: draw ``n`` normals, then draw again every value outside ``[low, high]``."""
    drawn = rng.normal(mean, std, n)
    outside = np.flatnonzero((drawn < low) | (drawn > high))
    for _ in range(_MAX_REDRAW_ROUNDS):
        if not outside.size:
            return drawn
        fresh = rng.normal(mean, std, outside.size)
        drawn[outside] = fresh
        outside = outside[(fresh < low) | (fresh > high)]
    raise AssertionError(f"values still outside [{low}, {high}] after {_MAX_REDRAW_ROUNDS} rounds of redrawing")


def _checked_draws(drawn: np.ndarray, where: str) -> np.ndarray:
    bad = ~np.isfinite(drawn) | (np.abs(drawn) > MAX_MAGNITUDE)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(f"{where}: draw {first} is {drawn[first]!r}, beyond {MAX_MAGNITUDE:g} in "
                                f"magnitude; bound the distribution with min/max.")
    return drawn


__all__ = ["check", "number", "sample", "bounds", "is_random", "kind_of", "Spec"]
