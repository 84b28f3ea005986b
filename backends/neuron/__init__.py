"""The NEURON 9 backend (NEURON is imported lazily: the class loads without it)."""

from .adapter import NeuronBackend

__all__ = ["NeuronBackend"]
