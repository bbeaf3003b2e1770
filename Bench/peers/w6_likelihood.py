"""W6: the probability-flow log-likelihood of Gaussian data N(mu, s^2 I), mu_i = (-1)^i (0.5 + 0.25 i), s = 0.5, D = 4,
N = 1000, eps = 1e-5, scipy's RK45 (solve_ivp) with rtol = atol = 1e-5, the exact score and an exact divergence (a
Rademacher probe is exact here: the drift's Jacobian is a multiple of I), for the VP (beta in [0.1, 20]), VE (sigma in
[0.01, 50]) and sub-VP SDEs.

Two peers, one row each per SDE:
  --score-sde PATH  runs score_sde_pytorch's own likelihood.get_likelihood_fn from a checkout at PATH (yang-song/score_sde_pytorch),
                    with a model object that returns the exact score through score_sde's own score_fn wrapper;
  otherwise         the hand-written equivalent: the same solve_ivp call on the float64 state [x, delta], the model
                    evaluated in float32, the divergence by one vector-Jacobian product with a Rademacher probe.

The data are the same bits as the .NET side (Examples/Experiments/SdeExperiments.cs, GaussianSample): Box-Muller on splitmix64 uniforms.
Errors are in nats per dimension against two targets (Dsl's Examples/Experiments/SdeExperiments.cs says the same):
  ode_exact  log pi(Phi(x)) + D log(sigma_T / sigma_eps), the exact value of the ODE likelihood: Phi is the exact flow map,
             affine for Gaussian data (x_t - m_t mu = (sigma_t / sigma_eps)(x - m_eps mu), sigma_t^2 = m_t^2 s^2 + v_t);
  p_eps      log p_eps(x), which differs from the ODE value by log pi(x_T) - log p_T(x_T) (the prior is not p_T exactly).
Reported: |mean error| and mean |error| per sample, both per dimension, NFE, and seconds per likelihood call.
"""
import argparse
import json
import math
import statistics
import sys
import time

import numpy as np
import torch
from scipy import integrate

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--rounds", type=int, default=10)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--n", type=int, default=1000)
p.add_argument("--dim", type=int, default=4)
p.add_argument("--rtol", type=float, default=1e-5)
p.add_argument("--atol", type=float, default=1e-5)
p.add_argument("--sdes", default="vp,ve,subvp")
p.add_argument("--seed", type=int, default=0, help="splitmix64 seed of the data (the .NET side's --seed)")
p.add_argument("--score-sde", default=None, help="path of a score_sde_pytorch checkout: run its likelihood.py")
args = p.parse_args()
torch.set_num_threads(args.threads)

EPS, S0, T = 1e-5, 0.5, 1.0
BMIN, BMAX, SMIN, SMAX = 0.1, 20.0, 0.01, 50.0
D, N = args.dim, args.n
MU = np.array([(1 if i % 2 == 0 else -1) * (0.5 + 0.25 * i) for i in range(D)])
MASK = (1 << 64) - 1


def splitmix_uniforms(count, seed):
    """(0, 1) uniforms: the top 53 bits of splitmix64, plus half an ulp (never 0)."""
    out = np.empty(count)
    state = seed & MASK
    for k in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        out[k] = ((z >> 11) + 0.5) * (1.0 / (1 << 53))
    return out


def data(n, d, seed):
    u = splitmix_uniforms(2 * n * d, seed).reshape(n * d, 2)
    z = np.sqrt(-2.0 * np.log(u[:, 0])) * np.cos(2.0 * math.pi * u[:, 1])
    return MU[None, :] + S0 * z.reshape(n, d)


# Kernel of each SDE: log m(t), v(t) (the SDE's own; VE's v = sigma^2 - sigma_min^2), in float64.
def log_m(sde, t):
    return 0.0 if sde == "ve" else -0.25 * t * t * (BMAX - BMIN) - 0.5 * t * BMIN


def var(sde, t):
    if sde == "ve":
        return (SMIN * (SMAX / SMIN) ** t) ** 2 - SMIN ** 2
    a = 1.0 - math.exp(2 * log_m(sde, t))
    return a if sde == "vp" else a * a


def sigma2(sde, t):
    return math.exp(2 * log_m(sde, t)) * S0 * S0 + var(sde, t)


def prior_logp(sde, z):
    s2 = SMAX ** 2 if sde == "ve" else 1.0
    return -0.5 * D * math.log(2 * math.pi * s2) - (z ** 2).sum(1) / (2 * s2)


def targets(sde, x):
    me, mt = math.exp(log_m(sde, EPS)), math.exp(log_m(sde, T))
    se2, st2 = sigma2(sde, EPS), sigma2(sde, T)
    phi = mt * MU + math.sqrt(st2 / se2) * (x - me * MU)
    ode_exact = prior_logp(sde, phi) + 0.5 * D * math.log(st2 / se2)
    p_eps = -0.5 * D * math.log(2 * math.pi * se2) - ((x - me * MU) ** 2).sum(1) / (2 * se2)
    return ode_exact, p_eps


def exact_score32(sde, x, t):
    """The exact score of p_t in float32 from float32 x and t (what a float32 network would return)."""
    t64 = t.double()
    if sde == "ve":
        m = torch.ones_like(t64)
        v = (SMIN * (SMAX / SMIN) ** t64) ** 2 - SMIN ** 2
    else:
        lm = -0.25 * t64 ** 2 * (BMAX - BMIN) - 0.5 * t64 * BMIN
        a = 1.0 - torch.exp(2 * lm)
        m, v = torch.exp(lm), (a if sde == "vp" else a * a)
    s2 = m * m * S0 * S0 + v
    mu = torch.tensor(MU)
    shape = [-1] + [1] * (x.dim() - 1)
    flat = x.reshape(x.shape[0], -1)
    score = -(flat.double() - m[:, None] * mu[None, :]) / s2[:, None]
    return score.float().reshape(x.shape)


# ---- the hand-written peer: score_sde's algorithm written out for [N, D] data -------------------------------------
def handwritten(sde, x64):
    x32 = torch.tensor(x64, dtype=torch.float32)
    probe = torch.randint(0, 2, x32.shape, generator=torch.Generator().manual_seed(0)).float() * 2 - 1

    def beta(t):
        return BMIN + t * (BMAX - BMIN)

    def drift(xx, t):
        if sde == "ve":
            g2 = (SMIN * (SMAX / SMIN) ** t) ** 2 * 2 * math.log(SMAX / SMIN)
            return -0.5 * g2 * exact_score32(sde, xx, torch.full((N,), t))
        b = beta(t)
        g2 = b if sde == "vp" else b * (1 - math.exp(-2 * BMIN * t - (BMAX - BMIN) * t * t))
        return -0.5 * b * xx - 0.5 * g2 * exact_score32(sde, xx, torch.full((N,), t))

    def ode_func(t, y):
        xx = torch.from_numpy(y[:-N]).reshape(N, D).float()
        with torch.enable_grad():
            xx.requires_grad_(True)
            f = drift(xx, t)
            # exact_score32 goes through float64 and back, which autograd follows
            vjp = torch.autograd.grad((f * probe).sum(), xx)[0]
        div = (vjp * probe).sum(1)
        return np.concatenate([f.detach().numpy().reshape(-1).astype(np.float64), div.numpy().astype(np.float64)])

    init = np.concatenate([x64.reshape(-1), np.zeros(N)])
    sol = integrate.solve_ivp(ode_func, (EPS, T), init, rtol=args.rtol, atol=args.atol, method="RK45")
    z = sol.y[:-N, -1].reshape(N, D)
    return prior_logp(sde, z) + sol.y[-N:, -1], sol.nfev


# ---- score_sde_pytorch's own likelihood.py ----------------------------------------------------------------------------
def score_sde_peer(path):
    sys.path.insert(0, path)
    import likelihood as ssl
    import sde_lib

    class ExactModel(torch.nn.Module):
        """Returns what score_sde's continuous score_fn expects: for VP/sub-VP -score * std(t) with labels = 999 t, for VE
        the score with labels = std(t)."""

        def __init__(self, name, sde):
            super().__init__()
            self.name, self.sde = name, sde

        def forward(self, x, labels):
            if self.name == "ve":
                t = torch.log(labels.double() / SMIN) / math.log(SMAX / SMIN)
                return exact_score32("ve", x, t.float())
            t = labels / 999
            std = self.sde.marginal_prob(torch.zeros_like(x), t)[1]
            return -exact_score32(self.name, x, t) * std[:, None, None, None]

    sdes = {"vp": sde_lib.VPSDE(BMIN, BMAX), "ve": sde_lib.VESDE(SMIN, SMAX), "subvp": sde_lib.subVPSDE(BMIN, BMAX)}

    def run(sde, x64):
        s = sdes[sde]
        fn = ssl.get_likelihood_fn(s, lambda v: v, hutchinson_type="Rademacher", rtol=args.rtol, atol=args.atol, method="RK45", eps=EPS)
        data_t = torch.tensor(x64, dtype=torch.float32).reshape(N, D, 1, 1)
        torch.manual_seed(0)
        bpd, z, nfe = fn(ExactModel(sde, s), data_t)
        # bpd = -(log p)/(D ln 2) + 7 - inverse_scaler(-1) = ... + 8 with the identity scaler
        logp = -(bpd.double().numpy() - 8.0) * D * math.log(2)
        return logp, nfe

    return run


solver = score_sde_peer(args.score_sde) if args.score_sde else handwritten
peer = ("score_sde_pytorch likelihood.py" if args.score_sde else "pytorch hand-written solve_ivp") + " (torch " + torch.__version__ + ")"
x64 = data(N, D, args.seed)
rows = []
for sde in args.sdes.split(","):
    ode_exact, p_eps = targets(sde, x64)
    for _ in range(args.warmup):
        solver(sde, x64)
    times = []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        logp, nfe = solver(sde, x64)
        times.append(time.perf_counter() - t0)
    e = (logp - ode_exact) / D
    rows.append({"path": sde, "ms_median": statistics.median(times) * 1000, "ms_min": min(times) * 1000, "nfe": int(nfe),
                 "err_mean_ode_exact": abs(float(e.mean())), "err_abs_ode_exact": float(np.abs(e).mean()),
                 "err_mean_p_eps": abs(float(((logp - p_eps) / D).mean())), "se_p_eps": float(((logp - p_eps) / D).std() / math.sqrt(N))})
print(json.dumps({"workload": "W6", "peer": peer, "threads": torch.get_num_threads(), "rounds": args.rounds, "n": N, "dim": D,
                  "rtol": args.rtol, "atol": args.atol, "data_first": [float(v) for v in x64[0]], "rows": rows}))
