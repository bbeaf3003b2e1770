"""W1 and W2: one Langevin step x + (eps/2) s(x) + sqrt(eps) z, Gaussian mixture N = 100 000, D = 2, K = 2, float32.
W1: the score derived by hand, s = -sum_k r_k (x - mu_k) / sigma^2 with r = softmax(log w - |x - mu|^2 / 2 sigma^2).
W2: the score by autograd of the energy E = -logsumexp(log w - |x - mu|^2 / 2 sigma^2)."""
import math

import torch

from _peer import emit, parse, time_rows

args = parse(__doc__, rounds=30)
EPS = 0.01
g = torch.Generator().manual_seed(2)
MU = torch.randn(2, 2, generator=torch.Generator().manual_seed(0)) * 2
LOGW = torch.zeros(2)
SIGMA2 = 1.0
x = torch.empty(args.n, 2).normal_(0, 1.5, generator=torch.Generator().manual_seed(1))
z = torch.empty_like(x)


def energy(x):
    d2 = (x.unsqueeze(1) - MU).square().sum(-1)                 # [N, K]
    return -torch.logsumexp(LOGW - d2 / (2 * SIGMA2), dim=1)


def step_analytic():
    with torch.no_grad():
        diff = x.unsqueeze(1) - MU                               # [N, K, D]
        logits = diff.square().sum(-1).mul_(-0.5 / SIGMA2).add_(LOGW)
        r = torch.softmax(logits, dim=1)
        score = (r.unsqueeze(-1) * diff).sum(1).mul_(-1.0 / SIGMA2)
        z.normal_(generator=g)
        return x + score.mul_(EPS / 2) + z.mul_(math.sqrt(EPS))


def step_autograd():
    xg = x.detach().requires_grad_(True)
    score = torch.autograd.grad(energy(xg).sum(), xg)[0].neg_()
    with torch.no_grad():
        z.normal_(generator=g)
        return x + score.mul_(EPS / 2) + z.mul_(math.sqrt(EPS))


def noise():
    z.normal_(generator=g)


rows = time_rows([("pytorch hand-derived score", step_analytic), ("pytorch autograd score", step_autograd),
                  ("pytorch noise draw alone", noise)], args)
emit("W1", rows, args, n=args.n, dim=2, k=2)
