"""W4: reverse VP SDE (beta in [0.1, 20]) by Euler-Maruyama from t = 1 to eps = 1e-3, Gaussian data N(m0, s0^2 I),
D = 2, N = 100 000, float32, the exact score -(x - m(t) m0) / v(t) with the scalar schedule in float64 per step:
x <- x - [f - g^2 s] dt + g sqrt(dt) z. Timed per call of --steps steps; reported per step."""
import math

import torch

from _peer import emit, parse, time_rows

args = parse(__doc__, rounds=3, steps=1000)
BMIN, BMAX, EPS_T, S0 = 0.1, 20.0, 1e-3, 0.5
M0 = torch.tensor([0.5, -0.75])
g = torch.Generator().manual_seed(1)


def reverse_em():
    steps = args.steps
    dt = (1.0 - EPS_T) / steps
    with torch.no_grad():
        x = torch.randn(args.n, 2, generator=g)
        z = torch.empty_like(x)
        for i in range(steps):
            t = 1.0 - i * dt
            beta = BMIN + t * (BMAX - BMIN)
            log_m = -0.25 * t * t * (BMAX - BMIN) - 0.5 * t * BMIN
            m, v = math.exp(log_m), S0 * S0 * math.exp(2 * log_m) + 1 - math.exp(2 * log_m)
            score = (x - m * M0).mul_(-1.0 / v)
            # x - (-0.5 beta x - beta s) dt + sqrt(beta dt) z
            x.mul_(1 + 0.5 * beta * dt).add_(score, alpha=beta * dt).add_(z.normal_(generator=g), alpha=math.sqrt(beta * dt))
    return x


x = reverse_em()
rows = time_rows([("pytorch hand-written reverse EM", reverse_em)], args, per=args.steps)
emit("W4", rows, args, n=args.n, dim=2, steps=args.steps,
     final_mean=[round(v, 4) for v in x.mean(0).tolist()], final_std=[round(v, 4) for v in x.std(0).tolist()])
