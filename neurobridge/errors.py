"""Exceptions raised when a network description is validated.

Every exception subclasses the builtin a Python user would catch for that
kind of mistake, and its message names the object, the field, the value that
was received and what is allowed, with a "did you mean" for near misses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class NativeFallbackWarning(UserWarning):
    """``native: true`` asked for something the simulator has no generator or rule for: the realized
    arrays run instead (exact rather than statistical agreement). The message names the field."""


class NeurobridgeError(Exception):
    """Base class of every error neurobridge raises on bad input."""


class InvalidValueError(NeurobridgeError, ValueError):
    """A field holds a value outside what is allowed (a negative time constant, ...)."""


class UnknownNameError(NeurobridgeError, KeyError):
    """A name (model, parameter, connector, variable, population, ...) is not known."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class UnknownParameterError(UnknownNameError):
    """A parameter or initial value that the chosen model does not have."""


class UnsupportedModelError(NeurobridgeError, NotImplementedError):
    """A backend cannot express a model, receptor, synapse, stimulus or option."""


class BackendNotFoundError(UnknownNameError):
    """No backend of that name is installed."""


class SimulationDivergedError(NeurobridgeError, ArithmeticError):
    """The dynamics left the numbers behind (a state became infinite or NaN, or the simulator's own
    stability check fired): not a bad description, but never a silent NaN either."""


def diverged(population: str, variable: str, neuron: int, value: float, when: str, backend: str,
             detail: str = "") -> SimulationDivergedError:
    """The standard "the dynamics diverged" error (the same text whichever backend found it)."""
    extra = f" ({detail})" if detail else ""
    return SimulationDivergedError(
        f"populations.{population}: {variable} of neuron {neuron} is {value:.6g} {when} on {backend}: the "
        f"dynamics diverged{extra}. Smaller inputs, weights or dt keep the state finite.")


def did_you_mean(name: str, allowed: Iterable[str]) -> str:
    """Return ``' Did you mean "x"?'`` for the closest allowed name, or ``''``."""
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""


def unknown(kind: str, name: object, where: str, allowed: Iterable[str],
            error: type[UnknownNameError] = UnknownNameError) -> UnknownNameError:
    """Build the standard "unknown name" error.

    Example: ``Unknown parameter "tau_mm" in populations.exc.params (model
    lif×current_exp). Did you mean "tau_m"? Allowed: C_m, E_L, ...``
    """
    allowed = sorted(str(a) for a in allowed)
    return error(
        f'Unknown {kind} "{name}" in {where}.{did_you_mean(str(name), allowed)} '
        f"Allowed: {', '.join(allowed)}."
    )


# ------------------------------------------------------------------------------------ files on disk

class FolderInUseError(NeurobridgeError, BlockingIOError):
    """Another process owns the folder (holds its lock): one writer at a time."""


class FolderNotEmptyError(NeurobridgeError, FileExistsError):
    """The folder to write already holds files that this run did not write (pass overwrite to replace them)."""


class CorruptFileError(InvalidValueError):
    """A results file (Parquet table, ``meta.json``, ``job.json``, ``sweep.json``) is unreadable or invalid.

    The message is one line and starts with the file's path.
    """


class CommandLineError(NeurobridgeError, ValueError):
    """A command line that neurobridge or Hydra cannot parse (unknown flag, malformed override, ...)."""


class OverrideHasNoEffectError(InvalidValueError):
    """A ``model.*`` override that the experiment overwrites: the run would silently ignore it."""


class OutputWriteError(OSError):
    """Writing results failed (disk full, permissions). Not bad input: the command exits with status 3.

    The message reads ``could not write <path>: <reason>``.
    """
