#!/usr/bin/env node
// llama.cpp (through the npm package node-llama-cpp, prebuilt CPU binaries only) as a
// reference for GGUF files: the raw logits for a list of token ids.
//
//   node llama_cpp_logits.mjs MODEL.gguf --tokens 1,2,3 [--all-positions]
//        [--kv f32|f16] [--threads N] [--flash-attention] [--out FILE]
//
// prints JSON {"logits": [[...], ...], "positions": [...], "kv": "f32"}: one list of
// n_vocab floats per requested position (the last one, or every one with
// --all-positions). The ids are evaluated as one sequence from position 0, exactly as
// given: no tokenization, no BOS. The values are llama.cpp's logits before any sampling
// (the sampler chain node-llama-cpp runs with temperature 0 is a greedy pick, which
// reads the logits without changing them; no repeat penalty, no token bias).
//
// Nothing is built or downloaded at run time: getLlama({build: "never", gpu: false,
// skipDownload: true, usePrebuiltBinaries: true}) loads the prebuilt binary from the
// @node-llama-cpp/linux-x64 optional dependency, or fails.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import fs from "node:fs";

function usage(msg) {
    if (msg) process.stderr.write(`llama_cpp_logits: ${msg}\n`);
    process.stderr.write(
        "usage: node llama_cpp_logits.mjs MODEL.gguf --tokens 1,2,3 [--all-positions] " +
        "[--kv f32|f16] [--threads N] [--flash-attention] [--out FILE]\n");
    process.exit(2);
}

function parseArgs(argv) {
    const a = {model: null, tokens: null, all: false, kv: "f32", threads: 1, flash: false, out: null};
    for (let i = 0; i < argv.length; i++) {
        const s = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) usage(`${s} needs a value`);
            return argv[++i];
        };
        if (s === "--tokens") a.tokens = next();
        else if (s === "--all-positions") a.all = true;
        else if (s === "--kv") a.kv = next().toLowerCase();
        else if (s === "--threads") a.threads = Number(next());
        else if (s === "--flash-attention") a.flash = true;
        else if (s === "--out") a.out = next();
        else if (s === "-h" || s === "--help") usage();
        else if (s.startsWith("--")) usage(`unknown option ${s}`);
        else if (a.model == null) a.model = s;
        else usage(`unexpected argument ${s}`);
    }
    if (a.model == null) usage("no model file");
    if (a.tokens == null) usage("--tokens is required");
    const toks = a.tokens.split(",").filter((t) => t.trim() !== "").map((t) => Number(t));
    if (toks.length === 0 || toks.some((t) => !Number.isInteger(t) || t < 0))
        usage("--tokens must be comma-separated non-negative integers");
    a.tokens = toks;
    if (a.kv !== "f32" && a.kv !== "f16") usage("--kv must be f32 or f16");
    if (!Number.isInteger(a.threads) || a.threads < 1) usage("--threads must be a positive integer");
    return a;
}

async function main() {
    const a = parseArgs(process.argv.slice(2));
    if (!fs.existsSync(a.model)) usage(`no such file: ${a.model}`);
    const t0 = performance.now();
    const llama = await getLlama({
        gpu: false,
        build: "never",
        usePrebuiltBinaries: true,
        skipDownload: true,
        progressLogs: false,
        maxThreads: a.threads,
        logLevel: LlamaLogLevel.error,
        logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message}`),
    });
    const model = await llama.loadModel({
        modelPath: a.model,
        gpuLayers: 0,
        useMmap: true,
        defaultContextFlashAttention: a.flash,
    });
    // node-llama-cpp has no vocabulary-size getter; the GGUF's token list gives it.
    const nVocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
    if (!Number.isInteger(nVocab) || nVocab <= 0) throw new Error("cannot read tokenizer.ggml.tokens from the GGUF");
    for (const t of a.tokens)
        if (t >= nVocab) usage(`token id ${t} out of range [0, ${nVocab})`);
    const n = a.tokens.length;
    const kvType = a.kv === "f32" ? "F32" : "F16";
    const context = await model.createContext({
        contextSize: Math.max(n, 1),
        batchSize: Math.max(n, 1),
        sequences: 1,
        threads: {ideal: a.threads, min: a.threads},
        flashAttention: a.flash,
        experimentalKvCacheKeyType: kvType,
        experimentalKvCacheValueType: kvType,
    });
    const seq = context.getSequence();
    const tLoaded = performance.now();
    const want = a.all ? a.tokens.map((_, i) => i) : [n - 1];
    const wantSet = new Set(want);
    const input = a.tokens.map((t, i) => wantSet.has(i)
        ? [t, {generateNext: {logits: true, options: {temperature: 0}}}]
        : t);
    const res = await seq.controlledEvaluate(input);
    const tEval = performance.now();
    const logits = [];
    for (const i of want) {
        const m = res[i]?.next?.logits;
        if (m == null) throw new Error(`no logits came back for position ${i}`);
        const row = new Array(nVocab);
        for (const [tok, v] of m) row[tok] = v;
        if (m.size !== nVocab) throw new Error(`position ${i}: got ${m.size} logits for a vocabulary of ${nVocab}`);
        logits.push(row);
    }
    const text = JSON.stringify({
        logits,
        positions: want,
        kv: a.kv,
        context_size: context.contextSize,
        threads: context.currentThreads,
        load_ms: Math.round(tLoaded - t0),
        eval_ms: Math.round(tEval - tLoaded),
    });
    if (a.out) fs.writeFileSync(a.out, text);
    else process.stdout.write(text + "\n");
    await context.dispose();
    await model.dispose();
    await llama.dispose();
}

main().catch((e) => {
    process.stderr.write(`llama_cpp_logits: ${e?.stack ?? e}\n`);
    process.exit(1);
});
