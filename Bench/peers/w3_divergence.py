"""W3: the divergence of the score s = -grad E of the MLP energy E(x) = w2 . tanh(W1 x + b1), D = 32, H = 64,
batch 1024, float32: exact by autograd (one backward pass per dimension through the score's graph, what PyTorch
offers without hand derivation), Hutchinson (one Rademacher probe, one vector-Jacobian product), and the closed
form derived by hand (div s = -Laplacian E = 2 sum_j w2_j t_j (1 - t_j^2) |W1_j|^2, t = tanh(W1 x + b1))."""
import torch

from _peer import emit, parse, time_rows

args = parse(__doc__, rounds=10, n=1024)
D, H = 32, 64
gen = torch.Generator().manual_seed(0)
W1 = torch.randn(H, D, generator=gen) / D ** 0.5
B1 = torch.randn(H, generator=gen) * 0.1
W2 = torch.randn(H, generator=gen) / H ** 0.5
x = torch.randn(args.n, D, generator=torch.Generator().manual_seed(1))
g = torch.Generator().manual_seed(2)


def energy(x):
    return torch.tanh(x @ W1.T + B1) @ W2


def score_with_graph():
    xg = x.detach().requires_grad_(True)
    s = -torch.autograd.grad(energy(xg).sum(), xg, create_graph=True)[0]
    return xg, s


def exact_autograd():
    xg, s = score_with_graph()
    div = torch.zeros(x.shape[0])
    for i in range(D):
        div += torch.autograd.grad(s[:, i].sum(), xg, retain_graph=True)[0][:, i]
    return div


def hutchinson():
    xg, s = score_with_graph()
    v = torch.empty_like(x).bernoulli_(0.5, generator=g).mul_(2).sub_(1)
    return (torch.autograd.grad((s * v).sum(), xg)[0] * v).sum(1)


ROW_NORM2 = W1.square().sum(1)
def closed_form():
    with torch.no_grad():
        t = torch.tanh(torch.addmm(B1, x, W1.T))
        return (t - t.pow(3)).mul_(2 * W2 * ROW_NORM2).sum(1)


assert torch.allclose(exact_autograd(), closed_form(), rtol=1e-3, atol=1e-3)
rows = time_rows([("pytorch exact autograd loop over D", exact_autograd), ("pytorch Hutchinson, 1 probe", hutchinson),
                  ("pytorch hand-derived closed form", closed_form)], args)
emit("W3", rows, args, n=args.n, dim=D, hidden=H)
