#!/usr/bin/env bash
# Serving speed, side by side with llama.cpp in one run: aggregate generation tokens/s against
# the number of concurrent streams (128-token prompts, 128 generated each) on the
# Llama-3.2-1B-shaped Q8_0 model, and TTFT with a 2,000-token cached prefix against cold.
#
#   bench/serving.sh [STREAMS]   (after scripts/build; bench/engine.sh writes models/bench/)
set -euo pipefail
cd "$(dirname "$0")/.."
streams=${1:-1,2,4,8,16,32,64}
model=models/bench/llama3-q8_0.gguf
[ -f "$model" ] || build/turbine model make-test --out models/bench --arch llama3 --format gguf --dtype q8_0 \
  --hidden 2048 --layers 16 --heads 32 --kv-heads 8 --head-dim 64 --ffn 8192 --context 8192
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+dirty')"
echo "== turbine (serving_bench)"
build/serving_bench --model "$model" --threads 2 --streams "$streams"
echo "== llama.cpp (node-llama-cpp)"
node bench/llama_cpp_batched.mjs "$model" --threads 2 --streams "$streams"
