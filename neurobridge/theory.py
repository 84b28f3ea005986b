"""Closed-form predictions the simulations are held to.

* :func:`lif_rate`: the noise-free LIF rate under a constant drive,
  ``1 / (t_ref + tau_m ln((mu - V_reset) / (mu - V_th)))``.
* :func:`siegert_rate`: the diffusion-approximation rate of a LIF neuron
  driven by Poisson input (Siegert 1951; Brunel 2000), with the
  colored-noise correction for exponential synaptic currents of Fourcaud &
  Brunel (2002): both integration bounds shift by ``alpha/2 sqrt(tau_s/tau_m)``
  with ``alpha = sqrt(2) |zeta(1/2)|``.
* :func:`poisson_drive`: mean and standard deviation of the free membrane
  potential under Poisson input through ``iaf_psc_exp`` synapses.

Units are NEST's: ms, mV, pA, pF, Hz.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import integrate, special

#: ``zeta(1/2)``, Riemann's zeta at one half (scipy's Hurwitz zeta is undefined below s = 1).
ZETA_HALF = -1.4603545088095868
#: ``sqrt(2) |zeta(1/2)|``, the shift of Fourcaud & Brunel (2002).
ALPHA = math.sqrt(2.0) * abs(ZETA_HALF)


def lif_rate(mu: np.ndarray | float, V_th: float, V_reset: float, tau_m: float, t_ref: float) -> np.ndarray:
    """Rate (Hz) of a LIF neuron whose free membrane potential settles at ``mu`` (mV).

    Parameters
    ----------
    mu
        Stationary potential without threshold: ``E_L + I tau_m / C_m`` (mV).
    V_th, V_reset, tau_m, t_ref
        Threshold (mV), reset (mV), membrane time constant (ms), refractory time (ms).
    """
    mu = np.asarray(mu, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        isi = t_ref + tau_m * np.log((mu - V_reset) / (mu - V_th))
        return np.where(mu > V_th, 1000.0 / isi, 0.0)


def lif_rate_on_grid(mu: np.ndarray | float, V_th: float, V_reset: float, tau_m: float, t_ref: float,
                     dt: float) -> np.ndarray:
    """:func:`lif_rate` as a time-driven simulator sees it: each crossing is stamped at the end of its step.

    The interval from reset to the next crossing is rounded up to the grid;
    the refractory time, a multiple of ``dt``, is kept as it is.
    """
    mu = np.asarray(mu, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        free = tau_m * np.log((mu - V_reset) / (mu - V_th))
        isi = t_ref + np.ceil(free / dt - 1e-9) * dt
        return np.where(mu > V_th, 1000.0 / isi, 0.0)


def poisson_drive(rates_hz: Sequence[float], weights_pa: Sequence[float], tau_syn: float, C_m: float,
                  tau_m: float, E_L: float = 0.0, I_e: float = 0.0) -> tuple[float, float]:
    """Mean ``mu`` (mV) and noise amplitude ``sigma`` (mV) of Poisson input onto ``iaf_psc_exp``.

    Each input of rate ``nu`` and weight ``J`` (pA) delivers the charge
    ``J tau_syn`` per spike, a jump of ``J tau_syn / C_m`` in the white-noise
    limit, so ``mu = E_L + tau_m / C_m (I_e + sum nu J tau_syn)`` and
    ``sigma^2 = tau_m sum nu (J tau_syn / C_m)^2`` (Brunel 2000's sigma,
    twice the variance of the free potential).
    """
    rates = np.asarray(rates_hz, dtype=float) / 1000.0  # per ms
    weights = np.asarray(weights_pa, dtype=float)
    mu = E_L + tau_m / C_m * (I_e + np.sum(rates * weights * tau_syn))
    sigma = math.sqrt(tau_m * np.sum(rates * (weights * tau_syn / C_m) ** 2))
    return float(mu), sigma


def siegert_rate(mu: float, sigma: float, V_th: float, V_reset: float, tau_m: float, t_ref: float,
                 tau_syn: float = 0.0) -> float:
    """Diffusion-approximation rate (Hz), with Fourcaud & Brunel's correction for ``tau_syn > 0``.

    ``1 / (t_ref + tau_m sqrt(pi) int_{y_r}^{y_th} exp(u^2) (1 + erf u) du)``,
    ``y = (V - mu) / sigma + alpha/2 sqrt(tau_syn / tau_m)``.
    """
    if sigma <= 0:
        return float(lif_rate(mu, V_th, V_reset, tau_m, t_ref))
    shift = ALPHA / 2.0 * math.sqrt(tau_syn / tau_m)
    upper = (V_th - mu) / sigma + shift
    lower = (V_reset - mu) / sigma + shift
    # exp(u^2) (1 + erf u) = erfcx(-u): finite for large negative u
    integral, _ = integrate.quad(lambda u: special.erfcx(-u), lower, upper, limit=200)
    return 1000.0 / (t_ref + tau_m * math.sqrt(math.pi) * integral)
