#!/usr/bin/env bash
# Engine speed, side by side with llama.cpp on the same files in the same run: prompt (pp512)
# and generation (tg128) tokens/s for a model with Llama-3.2-1B's shapes (hidden 2048, 16
# layers, 32 heads, 8 KV heads, FFN 8192, vocab 128256) in F16, Q8_0 and Q4_0, at 1 and 2
# threads; and the machine's memory bandwidth (the decode roofline).
#
#   bench/engine.sh [REPS]      (after scripts/build; writes models/bench/ on first use, ~3 GB)
#
# TYPES="q4_K" bench/engine.sh picks other weight types; q4_K is a Q4_K_M-style mix (Q6_K for
# attn_v, ffn_down, the embedding and the output matrix; 1.06 GB).
#
# The two engines run alternately, one at a time, so they see the same machine.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
types=${TYPES:-f16 q8_0 q4_0}
dir=models/bench
shapes="--hidden 2048 --layers 16 --heads 32 --kv-heads 8 --head-dim 64 --ffn 8192 --context 8192"
for d in $types; do
  [ -f "$dir/llama3-$d.gguf" ] || build/turbine model make-test --out "$dir" --arch llama3 --format gguf --dtype "$d" $shapes
done

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
echo "isa: $(grep -o -w 'avx2\|avx512f\|avx512_vnni\|avx512_bf16' /proc/cpuinfo | sort -u | xargs)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"
# The bandwidth (the decode roofline) is measured right before each turbine run, with that
# run's thread count: on a shared machine it moves by tens of percent within minutes.
memory_bandwidth() {
  if [ -x build/matmul_bench ]; then
    build/matmul_bench --benchmark_filter="BM_MemRead/$1/" --benchmark_min_time=0.5 2>/dev/null |
      grep -o 'bytes_per_second=[^ ]*' | sed 's/bytes_per_second=/memory bandwidth: /' || true
  fi
}
for d in $types; do
  for t in 1 2; do
    echo "== $d, $t thread(s)"
    echo -n "            "; memory_bandwidth $t
    echo -n "turbine:   "; build/engine_bench --model "$dir/llama3-$d.gguf" --threads $t --reps "$reps" | grep median
    echo -n "llama.cpp: "; node bench/llama_cpp_bench.mjs "$dir/llama3-$d.gguf" --threads $t --reps "$reps" 2>/dev/null | grep -E '^median: '
  done
done
