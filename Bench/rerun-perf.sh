#!/usr/bin/env bash
# Issue 8's measurement in one command, on a quiet machine (nothing else running):
#   Bench/rerun-perf.sh            # quick interleaved suite W1-W6 + BenchmarkDotNet W1-W5, PyTorch peers in the same run
#   Bench/rerun-perf.sh --quick    # only the quick suite (about 5 minutes on 2 cores)
# Output: bench-results/quick.md (markdown tables with the target ratios), bench-results/quick.json,
# bench-results/bdn.md (BenchmarkDotNet's tables followed by the peer tables). Replace the matching workload tables in docs/perf.md (one table per workload; history stays in git).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench-results
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "PyTorch peers unavailable: install them with  sudo apt-get install -y python3-torch  (the .NET rows still run)" >&2
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
dotnet build Bench -c Release -nologo -v q
dotnet run --project Bench -c Release --no-build -- quick --rounds 40 --w4-steps 50 --json bench-results/quick.json | tee bench-results/quick.md
# W6 (issue 21's likelihood) on one thread; SCORE_SDE=<checkout of yang-song/score_sde_pytorch> makes score_sde's own likelihood.py the peer.
dotnet run --project Bench -c Release --no-build -- quick W6 --rounds 30 --threads 1 ${SCORE_SDE:+--score-sde "$SCORE_SDE"} --json bench-results/quick-w6.json | tee -a bench-results/quick.md
if [[ "${1:-}" != "--quick" ]]; then
  dotnet run --project Bench -c Release --no-build -- --filter '*LangevinBenchmarks.Langevin*' '*LangevinBenchmarks.Noise*' \
    '*DivergenceBenchmarks*' '*ReverseVpBenchmarks*' '*IsingSweepBenchmarks*' | tee bench-results/bdn.md
fi
