"""neurobridge: describe a spiking network once, run it on NEST, Brian2 and NumPy, compare.

>>> import neurobridge as nb
>>> net = nb.load("conf/model/cuba.yaml")
>>> result = nb.simulate(net, backend="numpy")
>>> result.spikes.groupby("population").size()
"""

from .errors import (
                     BackendNotFoundError,
                     InvalidValueError,
                     NativeFallbackWarning,
                     NeurobridgeError,
                     SimulationDivergedError,
                     UnknownNameError,
                     UnknownParameterError,
                     UnsupportedModelError,
)
from .model import Network, load
from .realize import RealizedNetwork, realize
from .registry import available_backends, capabilities, get_backend, simulate
from .results import Result, load_result

__version__ = "0.1.0"

__all__ = [
    "Network", "load", "realize", "RealizedNetwork", "simulate", "Result", "load_result",
    "available_backends", "capabilities", "get_backend",
    "NeurobridgeError", "InvalidValueError", "UnknownNameError", "UnknownParameterError",
    "UnsupportedModelError", "BackendNotFoundError", "NativeFallbackWarning", "SimulationDivergedError",
]
