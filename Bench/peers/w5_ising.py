"""W5: one checkerboard Metropolis sweep (both colours) of the periodic 256x256 Ising lattice, J = 1, h = 0,
T = 2.269, float32, one chain: the neighbour sum from four rolls, accept where u < exp(-2 beta s field)."""
import torch

from _peer import emit, parse, time_rows

args = parse(__doc__, rounds=30, n=256)
L = args.n
BETA = 1 / 2.269
g = torch.Generator().manual_seed(2)
spins = torch.empty(1, L, L).bernoulli_(0.5, generator=torch.Generator().manual_seed(1)).mul_(2).sub_(1)
ii, jj = torch.meshgrid(torch.arange(L), torch.arange(L), indexing="ij")
EVEN = ((ii + jj) % 2 == 0).unsqueeze(0)
ODD = ~EVEN
u = torch.empty_like(spins)

def colour_flip(mask):
    with torch.no_grad():
        field = spins.roll(1, 1) + spins.roll(-1, 1) + spins.roll(1, 2) + spins.roll(-1, 2)
        accept = (u.uniform_(generator=g) < field.mul_(spins).mul_(-2 * BETA).exp_()).logical_and_(mask)
        spins.mul_(1 - 2 * accept.to(spins.dtype))             # flip the accepted spins

def sweep():
    colour_flip(EVEN)
    colour_flip(ODD)

rows = time_rows([("pytorch hand-written checkerboard (rolls)", sweep)], args)
emit("W5", rows, args, l=L, sites=L * L)
