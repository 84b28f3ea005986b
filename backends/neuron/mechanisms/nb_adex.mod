COMMENT
NEST's aeif_psc_* / aeif_cond_* as the neurobridge reference integrates them (neurobridge).

The reference's AdEx, step for step: RK4 with `substeps` substeps per dt,
V bounded by V_peak in the right-hand side, a spike (V = V_reset, w += b)
as soon as a substep ends at or above V_peak (V_th when Delta_T is 0), a
refractory neuron clamped at V_reset. A step whose exponential term grows
fast (rate = g_L / C_m exp((V - V_th) / Delta_T) at the step's highest V),
or that spiked, is redone from its start with enough substeps that
rate h <= 0.05 (a power of two, at least 8 when it spiked, at most
spike_substeps). Then the synaptic state decays and takes this step's
inputs (current_delta: V jumps unless refractory). Scheduling as in NbLif.
ENDCOMMENT

NEURON {
    POINT_PROCESS NbAdex
    RANGE receptor, C_m, g_L, E_L, V_th, V_reset, Delta_T, a, b, tau_w, V_peak, I_e, I_stim
    RANGE detect, slope, exp_on, refractory_steps, growth, substeps, spike_substeps
    RANGE tau_syn_ex, tau_syn_in, E_ex, E_in, end_ex, end_in, factor_ex, factor_in
    RANGE V0, w0, s_ex0, s_in0
    RANGE V_m, w, s_ex, s_in, ds_ex, ds_in, buf_ex, buf_in, r
    RANGE unstable_step, unstable_v, unstable_w
    THREADSAFE
}

PARAMETER {
    receptor = 1
    C_m = 281 g_L = 30 E_L = -70.6 V_th = -50.4 V_reset = -60 Delta_T = 2 a = 4 b = 80.5 tau_w = 144
    V_peak = 0 I_e = 0 I_stim = 0
    detect = 0 slope = 2 exp_on = 1 refractory_steps = 0 growth = 0 substeps = 1 spike_substeps = 50
    tau_syn_ex = 0.2 tau_syn_in = 2 E_ex = 0 E_in = -85 end_ex = 0 end_in = 0 factor_ex = 0 factor_in = 0
    V0 = -70.6 w0 = 0 s_ex0 = 0 s_in0 = 0
}

ASSIGNED {
    V_m w s_ex s_in ds_ex ds_in buf_ex buf_in r va vb
    V_out w_out r_out spiked dV dw
    unstable_step unstable_v unstable_w
}

INITIAL {
    V_m = V0
    w = w0
    s_ex = s_ex0
    s_in = s_in0
    ds_ex = 0
    ds_in = 0
    buf_ex = 0
    buf_in = 0
    r = 0
    unstable_step = -1
    unstable_v = 0
    unstable_w = 0
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    : one step of the reference, at the end of NEURON's fixed step (nrn_state, once per step)
    LOCAL highest, needed, level
    integrate(substeps)
    : the reference's refinement: rate at the step's highest V (bounded by V_peak)
    highest = V_m
    if (V_out > highest) {
        highest = V_out
    }
    if (V_peak < highest) {
        highest = V_peak
    }
    needed = ceil(dt * (growth * exp((highest - V_th) / slope)) / 0.05)
    if (spiked && needed < 8) {
        needed = 8
    }
    if (spike_substeps < needed) {
        needed = spike_substeps
    }
    if (needed > substeps) {
        level = 1
        while (level < needed) {
            level = 2 * level
        }
        if (spike_substeps < level) {
            level = spike_substeps
        }
        integrate(level)
    }
    if (receptor == 0 && r_out == 0) {
        : current_delta: NEST's aeif_psc_delta adds the jump inside the step and tests the peak at once
        V_out = V_out + buf_ex
        if (V_out >= detect) {
            V_out = V_reset
            w_out = w_out + b
            if (refractory_steps > 0) {
                r_out = refractory_steps + 1
            } else {
                r_out = 0
            }
            spiked = 1
        }
    }
    if (r_out > 0) {
        r_out = r_out - 1
    }
    advance_receptors()
    buf_ex = 0
    buf_in = 0
    V_m = V_out
    w = w_out
    r = r_out
    if (unstable_step < 0 && (V_m < -1000 || fabs(w) > 1e6)) {
        : NEST's aeif stability check; the adapter reports the first step at which it failed
        unstable_step = floor(t / dt + 0.5) - 1
        unstable_v = V_m
        unstable_w = w
    }
    if (spiked) {
VERBATIM
        net_event(_ppvar[1].get<Point_process*>(), t);
ENDVERBATIM
    }
}

PROCEDURE integrate(k) {
    : RK4 from the step's start (V_m, w, r) with k substeps -> V_out, w_out, r_out, spiked
    LOCAL hh, V, ww, free, a1, b1, a2, b2, a3, b3, a4, b4, i
    hh = dt / k
    V = V_m
    ww = w
    r_out = r
    spiked = 0
    FROM i = 0 TO k - 1 {
        free = r_out == 0
        rhs(V, ww, 2 * i, k, free)
        a1 = dV
        b1 = dw
        rhs(V + hh / 2 * a1, ww + hh / 2 * b1, 2 * i + 1, k, free)
        a2 = dV
        b2 = dw
        rhs(V + hh / 2 * a2, ww + hh / 2 * b2, 2 * i + 1, k, free)
        a3 = dV
        b3 = dw
        rhs(V + hh * a3, ww + hh * b3, 2 * i + 2, k, free)
        a4 = dV
        b4 = dw
        if (free) {
            V = V + hh / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        } else {
            V = V_reset
        }
        ww = ww + hh / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
        if (free && V >= detect) {
            V = V_reset
            ww = ww + b
            if (refractory_steps > 0) {
                r_out = refractory_steps + 1
            } else {
                r_out = 0
            }
            spiked = 1
        }
    }
    V_out = V
    w_out = ww
}

PROCEDURE rhs(V, ww, j, k, free) {
    : dV, dw at half substep j of k; V enters bounded by V_peak (V_reset while refractory)
    LOCAL V_eff, spike
    if (free) {
        V_eff = V
        if (V_peak < V_eff) {
            V_eff = V_peak
        }
    } else {
        V_eff = V_reset
    }
    spike = exp_on * g_L * Delta_T * exp((V_eff - V_th) / slope)
    if (free) {
        view(j, k)
        dV = (g_L * E_L + I_e + I_stim + va - (g_L + vb) * V_eff + spike - ww) / C_m
    } else {
        dV = 0
    }
    dw = (a * (V_eff - E_L) - ww) / tau_w
}

INCLUDE "nb_receptors.inc"
INCLUDE "nb_synapse.inc"
