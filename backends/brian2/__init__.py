"""The Brian2 backend (placeholder until the adapter lands)."""

from neurobridge.backend import Backend, Capabilities


class Brian2Backend(Backend):
    name = "brian2"
    requires = "brian2"
    capabilities = Capabilities(pairs=frozenset())

    def run(self, realized, **options):
        raise NotImplementedError("the Brian2 adapter is not written yet")
