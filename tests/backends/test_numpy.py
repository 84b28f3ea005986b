"""The conformance suite on the reference backend (against theory)."""

from neurobridge.testing import BackendConformance


class TestNumpy(BackendConformance):
    backend = "numpy"
