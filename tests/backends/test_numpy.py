"""The conformance suite on the reference backend (against theory)."""

from .suite import BackendSuite


class TestNumpy(BackendSuite):
    backend = "numpy"
