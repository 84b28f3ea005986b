COMMENT
NEST's iaf_cond_exp / iaf_cond_alpha as the neurobridge reference integrates them (neurobridge).

The reference's ConductanceLIF, step for step: RK4 over the step with
`substeps` substeps, the conductances in closed form within it
(nb_receptors.inc); then the conductances decay and take this step's inputs,
a refractory neuron is held at V_reset, the threshold is checked at the end
of the step. Scheduling as in NbLif: the update runs once per step (BREAKPOINT's SOLVE), inputs
come buffered from NET_RECEIVE (nb_synapse.inc), a spike is sent stamped t.
ENDCOMMENT

NEURON {
    POINT_PROCESS NbLifCond
    RANGE receptor, C_m, g_L, E_L, V_th, V_reset, refractory_steps, I_e, I_stim, substeps
    RANGE tau_syn_ex, tau_syn_in, E_ex, E_in, end_ex, end_in, factor_ex, factor_in
    RANGE V0, s_ex0, s_in0
    RANGE V_m, s_ex, s_in, ds_ex, ds_in, buf_ex, buf_in, r
    THREADSAFE
}

PARAMETER {
    receptor = 3  : 3 conductance_exp, 4 conductance_alpha
    C_m = 250 g_L = 16.6667 E_L = -70 V_th = -55 V_reset = -60 refractory_steps = 0 I_e = 0 I_stim = 0
    substeps = 1
    tau_syn_ex = 0.2 tau_syn_in = 2 E_ex = 0 E_in = -85 end_ex = 0 end_in = 0 factor_ex = 0 factor_in = 0
    V0 = -70 s_ex0 = 0 s_in0 = 0
}

ASSIGNED { V_m s_ex s_in ds_ex ds_in buf_ex buf_in r va vb }

INITIAL {
    V_m = V0
    s_ex = s_ex0
    s_in = s_in0
    ds_ex = 0
    ds_in = 0
    buf_ex = 0
    buf_in = 0
    r = 0
}

BREAKPOINT {
    SOLVE advance
}

PROCEDURE advance() {
    : one step of the reference, at the end of NEURON's fixed step (nrn_state, once per step)
    LOCAL free, drive, hh, V, k1, k2, k3, k4, i
    free = r == 0
    drive = g_L * E_L + I_e + I_stim
    hh = dt / substeps
    V = V_m
    FROM i = 0 TO substeps - 1 {
        k1 = rate(free, drive, V, 2 * i)
        k2 = rate(free, drive, V + hh / 2 * k1, 2 * i + 1)
        k3 = rate(free, drive, V + hh / 2 * k2, 2 * i + 1)
        k4 = rate(free, drive, V + hh * k3, 2 * i + 2)
        V = V + hh / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    }
    advance_receptors()
    buf_ex = 0
    buf_in = 0
    if (!free) {
        V = V_reset
        r = r - 1
    } else if (V >= V_th) {
        V = V_reset
        r = refractory_steps
VERBATIM
        net_event(_ppvar[1].get<Point_process*>(), t);
ENDVERBATIM
    }
    V_m = V
}

FUNCTION rate(free, drive, V, j) {
    : dV/dt at half substep j (0 while refractory)
    if (free) {
        view(j, substeps)
        rate = (drive + va - (g_L + vb) * V) / C_m
    } else {
        rate = 0
    }
}

INCLUDE "nb_receptors.inc"
INCLUDE "nb_synapse.inc"
