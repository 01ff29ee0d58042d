#!/usr/bin/env bash
# `turbine bench` measured, in two standard runs (after scripts/build):
#  1. its own cost and timing fidelity: pinned to one core, against the scripted server pinned
#     to the other (first token 20 ms, then a token every 10 ms), at 50..400 streams, i.e.
#     about 5,000..40,000 streamed tokens/s. A faithful generator reports ITL ~10 ms and TTFT
#     ~20 ms however hard it is pushed, and needs well under one core for it.
#  2. turbine serve (the demo model), shared-prefix chat load with the prefix cache on and off,
#     set side by side with --compare.
#
#   bench/loadgen.sh [OUT_DIR]   (default build/bench-loadgen)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/bench-loadgen}
mkdir -p "$out"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts a server in the background and waits for its "serving on URL" line; sets $url.
start_server() {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do
    url=$(grep -o 'serving on http://[0-9.:]*' "$log" | head -1 | cut -d' ' -f3 || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "server did not start: $(cat "$log")" >&2; exit 1
}

echo "== 1. generator cost and fidelity: scripted TTFT 20 ms, ITL 10 ms; bench on core 0, server on core 1"
start_server "$out/stub.log" taskset -c 1 build/scripted_openai_server --ttft-ms 20 --itl-ms 10
stub=$url
printf "%8s %12s %10s %10s %10s %10s %12s %10s\n" streams "tok/s" "TTFT p50" "ITL p50" "ITL p99" "TPOT mean" "client CPU" "us/event"
for c in 50 100 200 400; do
  taskset -c 0 build/turbine bench --base-url "$stub" --model stub --concurrency "$c" --duration 10 --warmup "$c" \
    --input-len 64 --output-len 400 --no-progress --label "stub-$c" --output "$out/stub-$c.json" >/dev/null 2>&1
  python3 - "$out/stub-$c.json" "$c" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print("%8s %12.0f %10.2f %10.2f %10.2f %10.2f %11.1f%% %10.2f" % (sys.argv[2], s["output_throughput"],
      s["ttft_ms"]["p50"], s["itl_ms"]["p50"], s["itl_ms"]["p99"], s["tpot_ms"]["mean"],
      s["client"]["cpu_percent"], s["client"]["us_per_event"]))
PY
done
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

echo "== 2. turbine serve (demo model): shared-prefix chat, 4 groups x 1024-token system prompt, prefix cache on vs off"
for mode in on off; do
  flags=(); [ "$mode" = off ] && flags=(--no-prefix-caching)
  start_server "$out/serve-$mode.log" build/turbine serve --port 0 "${flags[@]}"
  build/turbine bench --base-url "$url" --workload shared-prefix --prefix-groups 4 --prefix-len 1024 \
    --input-len 64 --output-len 32 --concurrency 4 --num-requests 64 --warmup 8 \
    --tokenizer models/demo/llama3-q8_0.gguf --no-progress --label "prefix-cache-$mode" --output "$out/serve-$mode.json"
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done
build/turbine bench --compare "$out/serve-off.json" "$out/serve-on.json"
