"""W7: the predictor-corrector sampler (reverse diffusion predictor + Langevin corrector, snr 0.16, one corrector step,
corrector first as score_sde's get_pc_sampler) on the VP SDE (beta in [0.1, 20], N = 1000 steps, eps = 1e-3, denoised),
N = 20 000 samples of D = 2, float32, with the exact score of Gaussian data N(mu, s^2 I), mu = (0.5, -0.75), s = 0.5
(Dsl's Examples/Experiments/SdeExperiments.cs GaussianData(2); issue 21's PC row).

Two peers:
  --score-sde PATH  runs score_sde_pytorch's own sampling.get_pc_sampler from a checkout at PATH (yang-song/score_sde_pytorch)
                    with sampling.ReverseDiffusionPredictor and sampling.LangevinCorrector, its sde_lib.VPSDE(0.1, 20, N=1000),
                    continuous=True, and a model object whose output score_sde's own get_score_fn turns into the exact score
                    (the model returns -score * std(t) from labels = 999 t, what a continuous VP network returns). The data
                    are [N, 2, 1, 1] "images" (score_sde's update functions index [:, None, None, None]).
  otherwise         the hand-written PyTorch equivalent on [N, 2]: the same discretisation (score_sde's discrete betas and
                    alphas, timesteps linspace(T, eps, N)), the same SNR step rule, in-place updates, no_grad.
Unused modules a checkout's imports may pull in (ml_collections, absl, tensorflow) are stubbed here, not in the checkout.
Reported: ms per sampling run (median and min of --rounds runs), and the final samples' mean and std per coordinate.
"""
import argparse
import importlib
import json
import math
import statistics
import sys
import time
import types

import torch

p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--warmup", type=int, default=1)
p.add_argument("--n", type=int, default=20_000)
p.add_argument("--steps", type=int, default=1000)
p.add_argument("--snr", type=float, default=0.16)
p.add_argument("--score-sde", default=None, help="path of a score_sde_pytorch checkout: run its sampling.py")
args = p.parse_args()
torch.set_num_threads(args.threads)

BMIN, BMAX, EPS, T, S0 = 0.1, 20.0, 1e-3, 1.0, 0.5
MU = torch.tensor([0.5, -0.75])
N, D = args.n, 2


def exact_score(x, t):
    """The exact score of p_t for Gaussian data under VP: -(x - m(t) mu) / (m^2 s^2 + 1 - m^2), x of shape [N, 2, ...]."""
    log_m = -0.25 * t * t * (BMAX - BMIN) - 0.5 * t * BMIN
    m2 = torch.exp(2 * log_m)
    shape = [-1, D] + [1] * (x.dim() - 2)
    var = (m2 * S0 * S0 + 1 - m2).reshape([-1] + [1] * (x.dim() - 1))
    return -(x - torch.exp(log_m).reshape([-1] + [1] * (x.dim() - 1)) * MU.reshape(shape)) / var


# ---- the hand-written peer ----------------------------------------------------------------------------------------------
def handwritten():
    steps = args.steps
    betas = torch.linspace(BMIN / steps, BMAX / steps, steps)
    alphas = 1.0 - betas
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        x = torch.randn(N, D, generator=g)
        z = torch.empty_like(x)
        timesteps = torch.linspace(T, EPS, steps)
        x_mean = x
        for i in range(steps):
            t = timesteps[i].item()
            k = int(t * (steps - 1) / T)
            vec_t = torch.full((N,), t)
            # Langevin corrector, score_sde's SNR rule
            grad = exact_score(x, vec_t)
            z.normal_(generator=g)
            grad_norm = grad.norm(dim=-1).mean()
            noise_norm = z.norm(dim=-1).mean()
            step = (args.snr * noise_norm / grad_norm) ** 2 * 2 * alphas[k]
            x = x.add(grad, alpha=step.item()).add_(z, alpha=math.sqrt(2 * step.item()))
            # reverse diffusion predictor: x - f + G^2 s + G z with f = (sqrt(alpha) - 1) x, G^2 = beta
            score = exact_score(x, vec_t)
            x_mean = x.mul(2 - math.sqrt(alphas[k].item())).add_(score, alpha=betas[k].item())
            x = x_mean + math.sqrt(betas[k].item()) * z.normal_(generator=g)
    return x_mean


# ---- score_sde_pytorch's own sampling.py -------------------------------------------------------------------------------------
def stub_unused_modules():
    """Empty modules for imports a checkout's sampling.py chain may reach but never uses here."""
    for name in ("ml_collections", "absl", "absl.flags", "absl.logging", "tensorflow", "tensorflow_gan", "tensorflow_datasets"):
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:
            module = types.ModuleType(name)
            module.__getattr__ = lambda attr, _name=name: types.SimpleNamespace()
            sys.modules[name] = module


def score_sde_peer(path):
    sys.path.insert(0, path)
    stub_unused_modules()
    import sampling
    import sde_lib

    sde = sde_lib.VPSDE(beta_min=BMIN, beta_max=BMAX, N=args.steps)

    class ExactModel(torch.nn.Module):
        """What score_sde's continuous VP score_fn expects: -score * std(t) from labels = 999 t."""

        def forward(self, x, labels):
            t = labels / 999
            std = sde.marginal_prob(torch.zeros_like(x), t)[1]
            return -exact_score(x, t) * std[:, None, None, None]

    model = ExactModel()
    sampler = sampling.get_pc_sampler(sde, (N, D, 1, 1), sampling.ReverseDiffusionPredictor, sampling.LangevinCorrector,
                                      lambda v: v, args.snr, n_steps=1, probability_flow=False, continuous=True,
                                      denoise=True, eps=EPS, device="cpu")

    def run():
        x, _ = sampler(model)
        return x.reshape(N, D)

    return run


run = score_sde_peer(args.score_sde) if args.score_sde else handwritten
path = "score_sde_pytorch sampling.py PC" if args.score_sde else "pytorch hand-written PC"
torch.manual_seed(0)
for _ in range(args.warmup):
    run()
times = []
x = None
for _ in range(args.rounds):
    t0 = time.perf_counter()
    x = run()
    times.append((time.perf_counter() - t0) * 1000.0)
print(json.dumps({"workload": "W7", "peer": path + " (torch " + torch.__version__ + ")", "threads": torch.get_num_threads(),
                  "rounds": args.rounds, "n": N, "dim": D, "steps": args.steps,
                  "rows": [{"path": path, "ms_median": statistics.median(times), "ms_min": min(times)}],
                  "final_mean": [float(v) for v in x.mean(0)], "final_std": [float(v) for v in x.std(0)]}))
sys.stdout.flush()
