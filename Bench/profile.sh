#!/usr/bin/env bash
# Sampling profile of one workload's fused generated path (W1, W4 or W5) with dotnet-trace, summarised per frame.
# Usage: Bench/profile.sh W4 [seconds]   (installs dotnet-trace as a global .NET tool on first use)
set -euo pipefail
cd "$(dirname "$0")/.."
workload="${1:-W1}"; seconds="${2:-8}"
trace_tool="$HOME/.dotnet/tools/dotnet-trace"
[ -x "$trace_tool" ] || dotnet tool install --global dotnet-trace
dotnet build Bench -c Release -v q -nologo
out="bench-results/profile-$workload"
mkdir -p bench-results
"$trace_tool" collect --format speedscope -o "$out.nettrace" -- dotnet Bench/bin/Release/net10.0/Dsl.Bench.dll profile "$workload" "$seconds"
python3 Bench/profile-summary.py "$out.speedscope.json"
