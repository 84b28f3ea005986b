"""Exact propagators of the linear LIF models (NEST's ``iaf_psc_delta`` / ``_exp`` / ``_alpha``).

The state is ``(y, I_ex, I_in, dI_ex, dI_in)`` (as many rows as the receptor
needs), with ``y = V_m - E_L``:
``dy/dt = -y / tau_m + (I_ex + I_in) / C_m``, ``dI/dt = -I / tau_syn`` (exp) or
``dI/dt = dI - I / tau_syn``, ``d(dI)/dt = -dI / tau_syn`` (alpha).
One step of the exact solution is ``X <- expm(A dt) X``; it is computed
numerically, so equal membrane and synaptic time constants need no special
case. Backends that integrate these models exactly share it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.linalg import expm

#: Rows of the state per receptor: membrane, then currents, then their derivatives (alpha).
ROWS = {"current_delta": 1, "current_exp": 3, "current_alpha": 5}


def lif_propagators(receptor: str, params: Mapping[str, np.ndarray], dt: float) -> np.ndarray:
    """``expm(A dt)`` per neuron, shape ``(n, k, k)``; each distinct neuron is computed once.

    Parameters
    ----------
    receptor
        ``current_delta``, ``current_exp`` or ``current_alpha``.
    params
        Per-neuron ``tau_m``, ``C_m`` and (exp, alpha) ``tau_syn_ex``, ``tau_syn_in``.
    dt
        The step (ms).
    """
    tau_m = np.asarray(params["tau_m"], dtype=float)
    n, k = tau_m.size, ROWS[receptor]
    A = np.zeros((n, k, k))
    A[:, 0, 0] = -1.0 / tau_m
    if receptor != "current_delta":
        for channel, tau in enumerate((params["tau_syn_ex"], params["tau_syn_in"])):
            current = 1 + channel
            A[:, 0, current] = 1.0 / np.asarray(params["C_m"])
            A[:, current, current] = -1.0 / np.asarray(tau)
            if receptor == "current_alpha":
                derivative = 3 + channel
                A[:, current, derivative] = 1.0
                A[:, derivative, derivative] = -1.0 / np.asarray(tau)
    unique, inverse = np.unique(A.reshape(n, -1), axis=0, return_inverse=True)
    blocks = np.stack([expm(block.reshape(k, k) * dt) for block in unique])
    return blocks[inverse.ravel()]
