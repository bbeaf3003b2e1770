#!/usr/bin/env python3
"""Makes the PyTorch weights fixture that WeightsFixtureTests reads (run from this folder; needs torch and numpy, the tests do not).

Two networks written in PyTorch with the same key names and layouts as Dsl's Dsl.Networks.TimeMlp and Dsl.Networks.DigitUNet,
trained briefly (fixed seed) as DDPM noise predictors, then saved as
  time_mlp.safetensors, time_mlp.pt    TimeMlp(dim=2, width=32, depth=2, embedding=16) on 8 Gaussians on a circle (300 steps)
  unet.safetensors, unet.pt            DigitUNet(channels=8) on 8x8 bar images in [-1, 1] (200 steps)
  <name>_x.npy, <name>_t.npy           fixed inputs x: [16, D], tau: [16] (float32)
  <name>_out.npy                       PyTorch's outputs eps_hat(x, tau): [16, D] (float32)
The safetensors files are written by hand (the safetensors package is not needed): an 8-byte little-endian header length,
a JSON header {name: {dtype, shape, data_offsets}} padded with spaces to 8 bytes, then the raw little-endian bytes.
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def sinusoidal(time, dim, scale=1000.0):
    """Dsl.Networks.TimeEmbedding.Sinusoidal: [sin(s*tau*f_k), cos(s*tau*f_k)], f_k = 10000^(-k/(E/2))."""
    half = dim // 2
    frequencies = torch.exp(torch.arange(half, dtype=torch.float64) * (-math.log(10000) / half)).to(time.dtype)
    angles = (time * scale).unsqueeze(1) * frequencies.unsqueeze(0)
    return torch.cat([angles.sin(), angles.cos()], 1)


class TimeMlp(nn.Module):
    """Keys: input, time, first.k, second.k, time_in.k, output (each .weight [out, in] and .bias [out])."""

    def __init__(self, dim, width=128, depth=3, embedding=32):
        super().__init__()
        self.embedding = embedding
        self.input = nn.Linear(dim, width)
        self.time = nn.Linear(embedding, width)
        self.first = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.second = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.time_in = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.output = nn.Linear(width, dim)

    def forward(self, x, tau):
        e = F.silu(self.time(sinusoidal(tau, self.embedding)))
        h = self.input(x) + e
        for first, second, time_in in zip(self.first, self.second, self.time_in):
            h = h + second(F.silu(first(F.silu(h)) + time_in(e)))
        return self.output(F.silu(h))


class ResBlock(nn.Module):
    """Keys: norm1, conv1, time, norm2, conv2, and skip (a 1x1 conv) when the channel count changes."""

    def __init__(self, inputs, outputs, embedding):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, inputs)
        self.conv1 = nn.Conv2d(inputs, outputs, 3, padding=1)
        self.time = nn.Linear(embedding, outputs)
        self.norm2 = nn.GroupNorm(8, outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, padding=1)
        self.skip = None if inputs == outputs else nn.Conv2d(inputs, outputs, 1)

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(F.silu(e))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (x if self.skip is None else self.skip(x))


class DigitUNet(nn.Module):
    """Keys: time1, time2, stem, block1, down1, block2, down2, mid, up2, reduce, up1, head_norm, head."""

    def __init__(self, channels=32):
        super().__init__()
        C, E = channels, 2 * channels
        self.channels = channels
        self.time1 = nn.Linear(C, E)
        self.time2 = nn.Linear(E, E)
        self.stem = nn.Conv2d(1, C, 3, padding=1)
        self.block1 = ResBlock(C, C, E)
        self.down1 = nn.Conv2d(C, C, 3, stride=2, padding=1)
        self.block2 = ResBlock(C, 2 * C, E)
        self.down2 = nn.Conv2d(2 * C, 2 * C, 3, stride=2, padding=1)
        self.mid = ResBlock(2 * C, 2 * C, E)
        self.up2 = ResBlock(4 * C, 2 * C, E)
        self.reduce = nn.Conv2d(2 * C, C, 1)
        self.up1 = ResBlock(2 * C, C, E)
        self.head_norm = nn.GroupNorm(8, C)
        self.head = nn.Conv2d(C, 1, 3, padding=1)

    def forward(self, x, tau):
        n = x.shape[0]
        e = self.time2(F.silu(self.time1(sinusoidal(tau, self.channels))))
        s1 = self.block1(self.stem(x.reshape(n, 1, 8, 8)), e)
        s2 = self.block2(self.down1(s1), e)
        m = self.mid(self.down2(s2), e)
        u2 = self.up2(torch.cat([F.interpolate(m, scale_factor=2, mode="nearest"), s2], 1), e)
        u1 = self.up1(torch.cat([self.reduce(F.interpolate(u2, scale_factor=2, mode="nearest")), s1], 1), e)
        return self.head(F.silu(self.head_norm(u1))).reshape(n, 64)


DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_safetensors(state, path):
    header, blobs, offset = {}, [], 0
    for key in sorted(state):
        array = state[key].detach().cpu().contiguous().numpy()
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": DTYPES[state[key].dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def load_safetensors(path):
    """The three-line reader the docs show, used here to check the file round-trips."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    kinds = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    return {k: torch.from_numpy(np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], dtype=kinds[v["dtype"]]).reshape(v["shape"]).copy())
            for k, v in header.items() if k != "__metadata__"}


def alpha_bar(tau):
    """A cosine schedule: alpha_bar(tau) = cos^2(pi/2 * (tau + 0.008) / 1.008), clipped away from 0."""
    return torch.cos(0.5 * math.pi * (tau + 0.008) / 1.008).pow(2).clamp(min=1e-4)


def train(net, sample, steps, lr=2e-3, batch=128):
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        x0 = sample(batch)
        tau = torch.rand(batch)
        eps = torch.randn_like(x0)
        ab = alpha_bar(tau).unsqueeze(1)
        loss = (net(ab.sqrt() * x0 + (1 - ab).sqrt() * eps, tau) - eps).pow(2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return loss.item()


def eight_gaussians(n):
    angle = torch.randint(0, 8, (n,)).float() * (2 * math.pi / 8)
    return torch.stack([2 * angle.cos(), 2 * angle.sin()], 1) + 0.1 * torch.randn(n, 2)


def bars(n):
    """8x8 images in [-1, 1]: one random horizontal or vertical bar of +1 on -1, flattened to [n, 64]."""
    images = -torch.ones(n, 8, 8)
    position = torch.randint(0, 8, (n,))
    vertical = torch.rand(n) < 0.5
    for i in range(n):
        if vertical[i]:
            images[i, :, position[i]] = 1
        else:
            images[i, position[i], :] = 1
    return images.reshape(n, 64)


def export(name, net, dim):
    net.eval()
    generator = torch.Generator().manual_seed(1234)
    x = torch.randn(16, dim, generator=generator)
    tau = torch.rand(16, generator=generator)
    with torch.no_grad():
        out = net(x, tau)
    state = net.state_dict()
    save_safetensors(state, name + ".safetensors")
    torch.save(state, name + ".pt")
    back = load_safetensors(name + ".safetensors")
    assert set(back) == set(state) and all(torch.equal(back[k], state[k]) for k in state), "safetensors round trip"
    np.save(name + "_x.npy", x.numpy())
    np.save(name + "_t.npy", tau.numpy())
    np.save(name + "_out.npy", out.numpy())
    print(name, len(state), "tensors,", sum(v.numel() for v in state.values()), "values; |out| max", out.abs().max().item())


if __name__ == "__main__":
    torch.manual_seed(0)
    mlp = TimeMlp(2, width=32, depth=2, embedding=16)
    print("TimeMlp final loss", train(mlp, eight_gaussians, 300))
    export("time_mlp", mlp, 2)
    torch.manual_seed(1)
    unet = DigitUNet(channels=8)
    print("DigitUNet final loss", train(unet, bars, 200, batch=64))
    export("unet", unet, 64)
