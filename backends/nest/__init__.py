"""The NEST 3.10 backend (placeholder until the adapter lands)."""

from neurobridge.backend import Backend, Capabilities


class NestBackend(Backend):
    name = "nest"
    requires = "nest"
    capabilities = Capabilities(pairs=frozenset())

    def run(self, realized, **options):
        raise NotImplementedError("the NEST adapter is not written yet")
