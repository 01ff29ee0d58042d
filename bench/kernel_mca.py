#!/usr/bin/env python3
"""Static throughput of the quantized matmul tiles, by llvm-mca, for CPUs that are not at hand.

    bench/kernel_mca.py [--mcpu icelake-server,sapphirerapids] [--cxx c++]

Copies src/backend/cpu to a scratch directory, marks each tile template noinline (so that every
tile shape is a function of its own), compiles the kernel files with the build's flags
(CMakeLists.txt), and runs llvm-mca (Debian package llvm) on the innermost loop that holds a
tile's dot products. It prints cycles per loop iteration and multiply-adds per cycle (MAC/cycle:
weight x activation products, not counting the row-major AVX-512 tiles' offset dot products).

A static model: no caches, no memory, no frequency. It compares loops with one another on one
core model; it does not predict tokens per second. docs/benchmarks.md ("AVX-512") has a run.
"""
import argparse
import collections
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASE_FLAGS = ['-O2', '-std=gnu++20', '-fno-strict-aliasing', '-w']
AVX2 = ['-mavx2', '-mfma', '-mf16c', '-O3']
AVX512 = ['-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512dq', '-mavx512vnni', '-mavx512bf16',
          '-mavx2', '-mfma', '-mf16c', '-O3']

# (weights, use, kernel, source, tile function as objdump -C names it, MACs per loop iteration).
# MACs: rows x elements x activation rows that one iteration of the tile's innermost dot loop
# covers (interleaved: 8 rows per group; Q4_0 / Q8_0 loops take one 32-element block, K-quant
# loops a 256-element super-block or one 32-element sub-block of it).
TILES = [
    ('Q4_0', 'GEMV', 'AVX-512 row-major', 'matmul_q8_avx512.cpp', 'tile<true, 4, 1>', 4 * 64),
    ('Q4_0', 'GEMV', 'interleaved, AVX2', 'matmul_interleaved8_avx2.cpp',
     'tile_x8<false, turbine::cpu::BlockQ4_0x8, 2, 1>', 16 * 32),
    ('Q4_0', 'GEMV', 'interleaved, VNNI', 'matmul_interleaved8_avx512.cpp',
     'tile_x8<true, turbine::cpu::BlockQ4_0x8, 2, 1>', 16 * 32),
    ('Q8_0', 'GEMV', 'AVX-512 row-major', 'matmul_q8_avx512.cpp', 'tile<false, 4, 1>', 4 * 64),
    ('Q8_0', 'GEMV', 'interleaved, AVX2', 'matmul_interleaved8_avx2.cpp',
     'tile_x8<false, turbine::cpu::BlockQ8_0x8, 2, 1>', 16 * 32),
    ('Q8_0', 'GEMV', 'interleaved, VNNI', 'matmul_interleaved8_avx512.cpp',
     'tile_x8<true, turbine::cpu::BlockQ8_0x8, 2, 1>', 16 * 32),
    ('Q4_0', 'GEMM', 'AVX-512 row-major', 'matmul_q8_avx512.cpp', 'tile<true, 2, 4>', 2 * 64 * 4),
    ('Q4_0', 'GEMM', 'interleaved, AVX2', 'matmul_interleaved8_avx2.cpp',
     'tile_x8<false, turbine::cpu::(anonymous namespace)::BlockQ4_0x8Bytes, 2, 3>', 16 * 32 * 3),
    ('Q4_0', 'GEMM', 'interleaved, VNNI', 'matmul_interleaved8_avx512.cpp',
     'tile_x8<true, turbine::cpu::(anonymous namespace)::BlockQ4_0x8Bytes, 2, 3>', 16 * 32 * 3),
    ('Q8_0', 'GEMM', 'AVX-512 row-major', 'matmul_q8_avx512.cpp', 'tile<false, 2, 4>', 2 * 64 * 4),
    ('Q8_0', 'GEMM', 'interleaved, AVX2', 'matmul_interleaved8_avx2.cpp',
     'tile_x8<false, turbine::cpu::BlockQ8_0x8, 2, 3>', 16 * 32 * 3),
    ('Q8_0', 'GEMM', 'interleaved, VNNI', 'matmul_interleaved8_avx512.cpp',
     'tile_x8<true, turbine::cpu::BlockQ8_0x8, 2, 3>', 16 * 32 * 3),
    ('Q4_K', 'GEMV', 'AVX-512 row-major', 'matmul_kquant_avx512.cpp', 'tile_q4_k<4, 1>', 4 * 256),
    ('Q4_K', 'GEMV', 'interleaved, AVX2', 'matmul_kquant_x8_avx2.cpp', 'tile_q4_k<1>', 8 * 256),
    ('Q6_K', 'GEMV', 'AVX-512 row-major', 'matmul_kquant_avx512.cpp', 'tile_q6_k<4, 1>', 4 * 256),
    ('Q6_K', 'GEMV', 'interleaved, AVX2', 'matmul_kquant_x8_avx2.cpp', 'tile_q6_k<1>', 8 * 256),
    ('Q4_K', 'GEMM', 'AVX-512 row-major', 'matmul_kquant_avx512.cpp', 'tile_q4_k<1, 4>', 256 * 4),
    ('Q4_K', 'GEMM', 'repacked, AVX2', 'matmul_kquant_gemm_avx2.cpp', 'gemm_tile_q4_k<4>',
     8 * 32 * 4),
    ('Q6_K', 'GEMM', 'AVX-512 row-major', 'matmul_kquant_avx512.cpp', 'tile_q6_k<1, 4>', 256 * 4),
    ('Q6_K', 'GEMM', 'repacked, AVX2', 'matmul_kquant_gemm_avx2.cpp', 'gemm_tile_q6_k<4>',
     8 * 16 * 4),
]

DOT = re.compile(r'^(vpdpbusd|vpmaddubsw)\s.*%([xyz])mm')


def build(scratch, cxx):
    src = scratch / 'src'
    shutil.copytree(ROOT / 'src', src)
    objs = {}
    for name in sorted({t[3] for t in TILES}):
        path = src / 'backend' / 'cpu' / name
        # The tile templates, and the header they include, as functions of their own.
        for f in [path, src / 'backend' / 'cpu' / 'matmul_interleaved8.h']:
            text = f.read_text()
            text = re.sub(r'^inline void (tile\w*|gemm_tile\w*)\(',
                          r'__attribute__((noinline)) void \1(', text, flags=re.M)
            f.write_text(text)
        obj = scratch / (name + '.o')
        flags = AVX512 if name.endswith('_avx512.cpp') else AVX2
        subprocess.run([cxx, f'-I{src}', *BASE_FLAGS, *flags, '-c', str(path), '-o', str(obj)],
                       check=True)
        objs[name] = obj
    return objs


def function_lines(obj, signature):
    dis = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '-C', str(obj)],
                         capture_output=True, text=True, check=True).stdout.split('\n')
    lines, inside = [], False
    for line in dis:
        if line.endswith('>:'):
            inside = signature + '(' in line
            continue
        m = re.match(r'\s*([0-9a-f]+):\t(.*)', line)
        if inside and m:
            lines.append((int(m.group(1), 16), m.group(2)))
    if not lines:
        sys.exit(f'kernel_mca: no function {signature} in {obj.name}')
    return lines


def innermost_dot_loop(lines):
    addrs = [a for a, _ in lines]
    best = None
    for i, (addr, ins) in enumerate(lines):
        m = re.match(r'j\w+\s+([0-9a-f]+)', ins)
        if not m or int(m.group(1), 16) >= addr or int(m.group(1), 16) not in addrs:
            continue
        body = [x for _, x in lines[addrs.index(int(m.group(1), 16)):i]]
        if any(DOT.match(x) for x in body) and (best is None or len(body) < len(best)):
            best = body
    return [re.sub(r'\s*<.*>', '', x) for x in best]


def mca_cycles(body, mcpu, scratch):
    asm = scratch / 'loop.s'
    asm.write_text('\n'.join(body) + '\n')
    out = subprocess.run(['llvm-mca', f'-mcpu={mcpu}', '-iterations=500', str(asm)],
                         capture_output=True, text=True).stdout
    m = re.search(r'Total Cycles:\s+(\d+)', out)
    if not m:
        sys.exit(f'kernel_mca: llvm-mca -mcpu={mcpu} could not read the loop')
    return int(m.group(1)) / 500


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mcpu', default='icelake-server,sapphirerapids')
    ap.add_argument('--cxx', default=os.environ.get('CXX', 'c++'))
    args = ap.parse_args()
    if shutil.which('llvm-mca') is None:
        sys.exit('kernel_mca: llvm-mca not found (apt-get install llvm)')
    cpus = args.mcpu.split(',')
    with tempfile.TemporaryDirectory() as d:
        scratch = pathlib.Path(d)
        objs = build(scratch, args.cxx)
        print('| weights | use | kernel | tile | dots per iteration | ' +
              ' | '.join(f'{c}: cycles, MAC/cycle' for c in cpus) + ' |')
        print('| --- ' * (5 + len(cpus)) + '|')
        for dtype, use, kernel, name, sig, macs in TILES:
            body = innermost_dot_loop(function_lines(objs[name], sig))
            dots = collections.Counter(f'{m.group(1)} {m.group(2)}mm'
                                       for m in map(DOT.match, body) if m)
            cells = []
            for c in cpus:
                cyc = mca_cycles(body, c, scratch)
                cells.append(f'{cyc:.1f}, {macs / cyc:.1f}')
            tile = re.sub(r'^.*?(\w+<)', r'\1', sig).replace('turbine::cpu::', '')
            tile = tile.replace('(anonymous namespace)::', '')
            dot_text = ', '.join(f'{n} {k}' for k, n in sorted(dots.items()))
            print(f'| {dtype} | {use} | {kernel} | `{tile}` | {dot_text} | ' +
                  ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
