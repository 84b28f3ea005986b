"""Readers of the fields of a description: one small function per kind, every error naming the field.

Each reader takes the raw value and the field's path (``projections[2].connector.n``)
and returns the value in canonical form or raises a :class:`~.errors.NeurobridgeError`
that names the path, the value received and what is allowed. Nothing here knows
about networks; :mod:`.model` calls these readers for every field it reads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import values
from .catalog import ANY, NON_NEGATIVE, ElementSpec, Field, Interval
from .errors import InvalidValueError, unknown

#: NEST's time grid: every time is a whole number of tics (``tics_per_ms`` 1000).
TIC_MS = 0.001
#: Names of populations: usable as identifiers by every simulator (Brian2 names objects after them).
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
#: Seeds every simulator accepts: NumPy any, Brian2 below 2**32, NEST's rng_seed (seed + 1) below 2**32.
MAX_SEED = 2**32 - 2


def mapping(data: Any, where: str) -> Mapping[str, Any]:
    """``data`` itself when it is a mapping."""
    if not isinstance(data, Mapping):
        raise InvalidValueError(f"{where} must be a mapping, got {data!r}.")
    return data


def known_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: str, kind: str = "field") -> None:
    """Refuse a key that is not ``allowed``, with a "did you mean"."""
    for key in data:
        if key not in allowed:
            raise unknown(kind, key, where, allowed)


def flag(value: Any, where: str) -> bool:
    """A YAML boolean (``true``/``false``); the strings "false" and "no" and the number 2 are not."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise InvalidValueError(f"{where} must be true or false, got {value!r}.")


def count(value: Any, where: str, low: int = 0, high: int | None = None) -> int:
    """An integer in ``[low, high]`` (booleans are not integers here)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidValueError(f"{where} must be an integer, got {value!r}.")
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InvalidValueError(f"{where} must be an integer {allowed}, got {value!r}.")
    return int(value)


def name(value: Any, where: str) -> str:
    """A population name every simulator can use: a letter, then letters, digits or ``_`` (64 at most)."""
    if not isinstance(value, str) or not NAME_PATTERN.fullmatch(value):
        raise InvalidValueError(f"{where}: {value!r} is not a valid name (a letter, then letters, digits or "
                                f"_, at most 64 characters).")
    return value


def indices(value: Any, where: str, size: int | None = None, unique: bool = True) -> tuple[int, ...]:
    """A non-empty list of indices in ``[0, size)``, each at most once when ``unique``."""
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidValueError(f"{where} must be a non-empty list of neuron indices, got {value!r}.")
    checked = tuple(count(i, f"{where}[{k}]") for k, i in enumerate(value))
    if size is not None and max(checked) >= size:
        raise InvalidValueError(f"{where}: index {max(checked)} is out of range (size {size}).")
    if unique and len(set(checked)) < len(checked):
        repeated = next(i for i in checked if checked.count(i) > 1)
        raise InvalidValueError(f"{where} lists neuron {repeated} more than once.")
    return checked


def on_grid(time: float, dt: float) -> bool:
    """Whether ``time`` lies on the grid of ``dt`` (within half a tic, NEST's own rule)."""
    return abs(time - round(time / dt) * dt) < TIC_MS / 2


def time(value: Any, where: str, dt: float | None = None, allowed: Interval = NON_NEGATIVE,
         infinite: bool = False) -> float:
    """A time (ms): finite unless ``infinite``; on the grid of ``dt`` when one is given."""
    number = values.number(value, where, allowed, infinite=infinite)
    if dt is not None and math.isfinite(number) and not on_grid(number, dt):
        raise InvalidValueError(f"{where} ({number:g} ms) must be a multiple of dt ({dt:g} ms), as NEST's "
                                f"devices require.")
    if dt is not None and 0.0 < number < dt and not allowed.contains(0.0, 0.0):
        raise InvalidValueError(f"{where} ({number:g} ms) must be at least dt ({dt:g} ms): it rounds to 0 "
                                f"steps.")
    return number


def numbers(value: Any, where: str, allowed: Interval = ANY) -> list[float]:
    """A list of finite numbers."""
    if not isinstance(value, (list, tuple)):
        raise InvalidValueError(f"{where} must be a list of numbers, got {value!r}.")
    return [values.number(v, f"{where}[{i}]", allowed) for i, v in enumerate(value)]


def increasing(times: list[float], where: str, strictly: bool = True) -> list[float]:
    """``times`` when they increase (``strictly``, or never decrease)."""
    for i, (a, b) in enumerate(zip(times, times[1:])):
        if b < a or (strictly and b == a):
            order = "strictly increasing" if strictly else "sorted"
            raise InvalidValueError(f"{where} must be {order}, got {a:g} then {b:g} at [{i}] and [{i + 1}].")
    return times


def spike_trains(value: Any, where: str, size: int | None) -> list[float] | list[list[float]]:
    """Spike times (ms, > 0, sorted): one list for every neuron, or one list per neuron."""
    if not isinstance(value, (list, tuple)):
        raise InvalidValueError(f"{where} must be a list of times (ms) or a list per neuron, got {value!r}.")
    if value and all(isinstance(t, (list, tuple)) for t in value):
        if size is not None and len(value) != size:
            raise InvalidValueError(f"{where} gives {len(value)} lists for {size} neurons.")
        return [_train(t, f"{where}[{i}]") for i, t in enumerate(value)]
    return _train(value, where)


def _train(times: Any, where: str) -> list[float]:
    checked = numbers(times, where)
    if any(t <= 0 for t in checked):
        raise InvalidValueError(f"{where}: spike times must be > 0 ms (NEST refuses a spike at 0), "
                                f"got {min(checked):g}.")
    return increasing(checked, where, strictly=False)


def element(spec: ElementSpec, data: Mapping[str, Any], where: str, dt: float,
            size: int | None = None) -> dict[str, Any]:
    """The fields of a source, stimulus, synapse or connector, defaults filled in, each checked.

    Parameters
    ----------
    spec
        What the element takes (:mod:`.catalog`).
    data
        The fields given (no other keys).
    where
        The element's path; a field's path is ``where.<field>``.
    dt
        The time grid, for fields that must lie on it.
    size
        How many values a per-item list of a ``value`` field holds (``None``: lists refused).
    """
    known_keys(data, spec.names, where, f"{spec.name} field")
    for group in spec.one_of:
        given = [f for f in group if f in data]
        if len(given) != 1:
            raise InvalidValueError(f"{where}: {spec.name} takes exactly one of {' or '.join(group)}, "
                                    f"got {', '.join(given) or 'neither'}.")
    out: dict[str, Any] = {}
    for item in spec.fields:
        if item.name in data:
            out[item.name] = read(item, data[item.name], f"{where}.{item.name}", dt, size)
        elif item.required and not any(item.name in group for group in spec.one_of):
            raise InvalidValueError(f"{where} needs {item.name} ({spec.name}), got {dict(data)!r}.")
        elif item.default is not None:
            out[item.name] = item.default
    if "start" in out and "stop" in out and out["stop"] <= out["start"]:
        raise InvalidValueError(f"{where}: stop ({out['stop']:g} ms) must be after start ({out['start']:g} ms).")
    return out


def read(item: Field, value: Any, where: str, dt: float, size: int | None) -> Any:
    """One field by its kind (see :class:`~.catalog.Field`)."""
    if item.kind == "value":
        return values.check(value, where, item.allowed, size)
    if item.kind == "number":
        return values.number(value, where, item.allowed)
    if item.kind == "time":
        return time(value, where, dt if item.on_grid else None, item.allowed, item.infinite)
    if item.kind == "times":
        checked = increasing(numbers(value, where, NON_NEGATIVE), where)
        for i, t in enumerate(checked):
            time(t, f"{where}[{i}]", dt)
        return checked
    if item.kind == "spike_times":
        return spike_trains(value, where, size)
    if item.kind == "numbers":
        return numbers(value, where, item.allowed)
    if item.kind == "count":
        return count(value, where)
    if item.kind == "indices":
        if not isinstance(value, (list, tuple)):
            raise InvalidValueError(f"{where} must be a list of neuron indices, got {value!r}.")
        return [count(i, f"{where}[{k}]") for k, i in enumerate(value)]
    if item.kind == "flag":
        return flag(value, where)
    raise AssertionError(f"unknown field kind {item.kind}")


__all__ = ["mapping", "known_keys", "flag", "count", "name", "indices", "time", "numbers", "increasing",
           "element", "read", "on_grid", "TIC_MS", "MAX_SEED"]
