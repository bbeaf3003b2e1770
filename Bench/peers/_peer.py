"""Shared by the hand-written PyTorch peers of Bench/ (W1-W5): arguments, timing, one JSON line on stdout.

Each peer is what a competent PyTorch user writes by hand for the workload: no_grad where no tape is needed,
in-place updates, a preallocated noise buffer, torch.set_num_threads matching the .NET side. The C# side
(Bench/PeerRunner.cs) runs the peer as a subprocess in the same run and tabulates its rows beside its own.
Run by hand: /usr/bin/python3 Bench/peers/w1_langevin.py --threads 2 --rounds 40
"""
import argparse
import json
import statistics
import sys
import time

import torch


def parse(description, **defaults):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (the .NET side passes its own)")
    p.add_argument("--rounds", type=int, default=defaults.get("rounds", 30), help="timed calls per row")
    p.add_argument("--warmup", type=int, default=3, help="untimed calls per row first")
    p.add_argument("--steps", type=int, default=defaults.get("steps", 0), help="steps per timed call (W4)")
    p.add_argument("--n", type=int, default=defaults.get("n", 100_000), help="batch size")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    return args


def time_rows(rows, args, per=1):
    """rows: list of (path name, callable). Interleaved rounds (as the .NET quick timer), ms per call / per."""
    for _, fn in rows:
        for _ in range(args.warmup):
            fn()
    times = [[] for _ in rows]
    for _ in range(args.rounds):
        for k, (_, fn) in enumerate(rows):
            t0 = time.perf_counter()
            fn()
            times[k].append((time.perf_counter() - t0) * 1000.0 / per)
    return [{"path": name, "ms_median": statistics.median(ts), "ms_min": min(ts)} for (name, _), ts in zip(rows, times)]


def emit(workload, rows, args, **extra):
    print(json.dumps({"workload": workload, "peer": "pytorch-" + torch.__version__ + "-cpu",
                      "threads": torch.get_num_threads(), "rounds": args.rounds, "rows": rows, **extra}))
    sys.stdout.flush()
