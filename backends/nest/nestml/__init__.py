"""The Izhikevich models NEST 3.10 lacks (exp/alpha currents and conductances), generated with NESTML.

NEST has ``izhikevich`` only with delta synapses. The four ``.nestml`` sources
in ``models/`` add exponential and alpha currents and conductances with the
reference's update order; :mod:`.build` generates one NEST extension module
from them in a side environment (NESTML cannot share the runtime's), builds it
once per content key in the neurobridge cache, and loads it into NEST after
every ``ResetKernel``. Nothing here imports NEST or builds at import time:
the NEST backend offers the four pairs when :func:`toolchain_problem` finds
nothing missing, builds on the first validation that needs them (a progress
line on stderr), and refuses them, naming what is missing, otherwise.

``python -m neurobridge.backends.nest.nestml build`` builds (or finds) the module;
``... toolchain [--install]`` reports (and as root apt-get installs) the build tools.
"""

from .build import MODEL_NAMES, MODULE_NAME, build_module, ensure_module, install, require, unsupported_reason
from .toolchain import NESTML_VERSION, toolchain_problem

__all__ = ["MODEL_NAMES", "MODULE_NAME", "NESTML_VERSION", "build_module", "ensure_module", "install", "require",
           "toolchain_problem", "unsupported_reason"]
