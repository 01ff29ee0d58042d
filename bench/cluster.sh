#!/usr/bin/env bash
# The cluster measured (after scripts/build), with a real etcd on loopback:
#  1. KV-aware routing against round robin: 4 `turbine worker`s of a random-weight Llama 3 with
#     real per-token cost (hidden 512, 8 layers, FFN 1536; Q8_0), each with one compute thread and
#     a 32 MiB KV cache (8k tokens: about 7 of the 16 system prompts; the four together hold them
#     all), a `turbine frontend` with --router-policy kv, then
#     round-robin, under the same `turbine bench` shared-prefix load; the workers are restarted
#     between the runs so both start cold. Set side by side with --compare.
#  2. Frontend + router overhead: a frontend in front of one external-engine worker whose upstream
#     is the scripted server answering at once (a no-op engine), against the scripted server
#     alone; and the router's own time per request from /metrics.
#
#   bench/cluster.sh [OUT_DIR]   (default build/bench-cluster)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/bench-cluster}
rm -rf "$out"; mkdir -p "$out"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Runs a command in the background and waits for "$marker http://..." in its log; sets $url.
start() {
  local log=$1 marker=$2; shift 2
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do
    url=$(grep -o "$marker http://[0-9.:]*" "$log" | head -1 | awk '{print $NF}' || true)
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "did not start: $(cat "$log")" >&2; exit 1
}
stop_last() { local n=${1:-1}; for _ in $(seq "$n"); do kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; done; }
wait_instances() {
  for _ in $(seq 200); do
    n=$(curl -s "$1/metrics" | awk '/^turbine:router_instances/ {print $2}')
    [ "${n%.*}" = "$2" ] && return
    sleep 0.1
  done
  echo "frontend never saw $2 instances" >&2; exit 1
}

etcd_port=$((23000 + RANDOM % 2000))
etcd --data-dir "$out/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
  --initial-cluster "default=http://127.0.0.1:$((etcd_port + 1))" >"$out/etcd.log" 2>&1 &
pids+=($!)
store="etcd://127.0.0.1:$etcd_port"
for _ in $(seq 100); do curl -s -X POST "http://127.0.0.1:$etcd_port/v3/kv/range" -d '{"key":"AA=="}' >/dev/null && break; sleep 0.1; done

# The demo model is too small for prefill to cost anything (2 layers, hidden 256).
model=build/bench-model/llama3-q8_0.gguf
[ -f "$model" ] || build/turbine model make-test --out build/bench-model --arch llama3 --format gguf --dtype q8_0 \
  --hidden 512 --layers 8 --heads 8 --kv-heads 2 --head-dim 64 --ffn 1536 --context 4096 >/dev/null
echo "== 1. 4 workers (hidden 512 x 8 layers, 1 thread, 32 MiB KV each): shared prefix, 16 groups x 1024 tokens, 8 users"
for policy in kv round-robin; do
  for i in 1 2 3 4; do
    start "$out/worker-$policy-$i.log" "listening on" build/turbine worker --model "$model" --served-model-name demo \
      --store "$store" --threads 1 --kv-cache-bytes 33554432 --lease-ttl 3
  done
  start "$out/frontend-$policy.log" "serving on" build/turbine frontend --store "$store" --port 0 --router-policy "$policy"
  wait_instances "$url" 4
  build/turbine bench --base-url "$url" --model demo --workload shared-prefix --prefix-groups 16 --prefix-len 1024 \
    --input-len 64 --output-len 16 --concurrency 8 --num-requests 192 --warmup 16 \
    --tokenizer "$model" --no-progress --label "$policy" --output "$out/$policy.json"
  curl -s "$url/metrics" | grep -E '^turbine:router_(overhead_seconds_(sum|count)|requests_total)' >"$out/metrics-$policy.txt"
  stop_last 5
done
build/turbine bench --compare "$out/round-robin.json" "$out/kv.json"

echo "== 2. frontend + router overhead: a no-op engine (scripted server, first token at once, 1 token)"
start "$out/stub.log" "serving on" build/scripted_openai_server --ttft-ms 0 --itl-ms 0
stub=$url
build/turbine bench --base-url "$stub" --model stub --concurrency 32 --num-requests 20000 --warmup 200 \
  --input-len 16 --output-len 1 --no-exact-output-len --no-progress --label direct --output "$out/direct.json" >/dev/null
start "$out/worker-noop.log" "listening on" build/turbine worker --model "$model" --served-model-name demo \
  --store "$store" --upstream "$stub" --upstream-capacity 1024
start "$out/frontend-noop.log" "serving on" build/turbine frontend --store "$store" --port 0 --router-policy kv
wait_instances "$url" 1
build/turbine bench --base-url "$url" --model demo --concurrency 32 --num-requests 20000 --warmup 200 \
  --input-len 16 --output-len 1 --no-exact-output-len --no-progress --label frontend --output "$out/frontend.json" >/dev/null
python3 - "$out/direct.json" "$out/frontend.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    s = json.load(open(path))
    print("%-9s %8.0f req/s  E2E p50 %6.2f ms  p99 %6.2f ms  (%d ok)" % (s["settings"].get("label", path),
          s["summary"]["request_throughput"], s["summary"]["e2e_ms"]["p50"], s["summary"]["e2e_ms"]["p99"],
          s["summary"]["num_succeeded"]))
PY
curl -s "$url/metrics" | awk '/^turbine:router_overhead_seconds_sum/ {s=$2} /^turbine:router_overhead_seconds_count/ {c=$2}
  END {printf "router overhead: %.2f us per request over %d requests\n", 1e6*s/c, c}'
