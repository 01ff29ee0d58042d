#!/usr/bin/env node
// llama-bench-like throughput of llama.cpp (CPU), run through the npm package node-llama-cpp
// (prebuilt CPU binaries from tests/tools/node_modules; nothing is built or downloaded).
//
//   node bench/llama_cpp_bench.mjs MODEL.gguf [--threads 2] [--prompt 512] [--gen 128]
//        [--reps 3] [--kv f16|f32|q8_0] [--seed 1234]
//
// What is measured (mirrors llama-bench's test_prompt / test_gen):
//   pp<prompt>: the sequence's KV cache is cleared, then ONE batch of `prompt` random token
//       ids (uniform over the vocabulary) is decoded from position 0 (batchSize = ubatch =
//       prompt, so it is a single llama_decode), output (logits) for the last token only.
//       Time = submit to done. tok/s = prompt / time.
//   tg<gen>: the KV cache is cleared, then `gen` single-token decodes at positions
//       0..gen-1, each fed a random token id (like llama-bench), each computing the logits of
//       its one token. Generation never stops early: the sampled token is ignored (EOS
//       included, yieldEogToken). tok/s = gen / time of the whole loop.
//   One warm-up of each (a pp batch and a single-token decode) precedes the timed runs;
//   model load and context creation are not timed.
// Each rep line also shows llama.cpp's own counters (llama_perf_context: "prompt eval" =
// tokens in multi-token batches, "eval" = single-token decodes) for that rep, which double
// as a check that exactly `prompt` tokens were batched / `gen` decode steps were run; the
// difference between wall time and llama.cpp's time is node-llama-cpp's per-call overhead
// (JS scheduling, worker-thread hop, a greedy sample of the output row).
// The last line is `median: pp<prompt> X tok/s | tg<gen> Y tok/s` (wall-clock medians).
import {createRequire} from "node:module";
import {fileURLToPath, pathToFileURL} from "node:url";
import fs from "node:fs";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const nodeModules = path.join(here, "..", "tests", "tools", "node_modules");
// Resolve the package through its own package.json "exports" (dist/index.js).
const require = createRequire(path.join(nodeModules, "noop.js"));
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(require.resolve("node-llama-cpp")).href);

function usage(msg) {
    if (msg) process.stderr.write(`llama_cpp_bench: ${msg}\n`);
    process.stderr.write(
        "usage: node bench/llama_cpp_bench.mjs MODEL.gguf [--threads 2] [--prompt 512] " +
        "[--gen 128] [--reps 3] [--kv f16|f32|q8_0] [--seed 1234]\n");
    process.exit(2);
}

function parseArgs(argv) {
    const a = {model: null, threads: 2, prompt: 512, gen: 128, reps: 3, kv: "f16", seed: 1234};
    const ints = {"--threads": "threads", "--prompt": "prompt", "--gen": "gen", "--reps": "reps", "--seed": "seed"};
    for (let i = 0; i < argv.length; i++) {
        const s = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) usage(`${s} needs a value`);
            return argv[++i];
        };
        if (s in ints) {
            const v = Number(next());
            if (!Number.isInteger(v) || v < 0) usage(`${s} must be a non-negative integer`);
            a[ints[s]] = v;
        } else if (s === "--kv") a.kv = next().toLowerCase();
        else if (s === "-h" || s === "--help") usage();
        else if (s.startsWith("--")) usage(`unknown option ${s}`);
        else if (a.model == null) a.model = s;
        else usage(`unexpected argument ${s}`);
    }
    if (a.model == null) usage("no model file");
    if (a.threads < 1) usage("--threads must be >= 1");
    if (a.reps < 1) usage("--reps must be >= 1");
    if (a.prompt < 1 && a.gen < 1) usage("nothing to measure: --prompt and --gen are both 0");
    const kvTypes = {f16: "F16", f32: "F32", q8_0: "Q8_0"};
    if (!(a.kv in kvTypes)) usage("--kv must be f16, f32 or q8_0");
    a.kvType = kvTypes[a.kv];
    return a;
}

// Small deterministic PRNG (mulberry32), so runs are reproducible.
function rng(seed) {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6D2B79F5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function median(xs) {
    const s = [...xs].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Which llama.cpp / ggml shared objects the process has mapped (the CPU backend variant,
// libggml-cpu-<arch>.so, is picked at run time by ggml's backend loader).
function loadedLibs() {
    try {
        const maps = fs.readFileSync("/proc/self/maps", "utf8");
        const libs = new Set();
        for (const line of maps.split("\n")) {
            const p = line.slice(line.indexOf("/"));
            if (line.includes("/") && /(libggml|libllama|llama-addon)[^/]*$/.test(p)) libs.add(p);
        }
        return [...libs];
    } catch {
        return [];
    }
}

// llama.cpp's info-level log lines are captured only while `capturing` is set (to read the
// llama_perf_context_print output); warnings and errors always go to stderr.
let capturing = false;
let captured = "";
function logger(level, message) {
    if (level === "error" || level === "fatal" || level === "warn") {
        process.stderr.write(`[llama.cpp ${level}] ${message}`);
        return;
    }
    if (capturing) captured += message;
}

// Prints (and resets) llama.cpp's per-context perf counters and parses them.
async function perfCounters(context) {
    captured = "";
    capturing = true;
    await context.printTimings();
    const t0 = Date.now();
    while (!/eval time[\s\S]*eval time/.test(captured) && Date.now() - t0 < 2000)
        await new Promise((r) => setTimeout(r, 5));
    capturing = false;
    const grab = (re) => {
        const m = captured.match(re);
        return m ? {ms: Number(m[1]), n: Number(m[2])} : null;
    };
    return {
        prompt: grab(/prompt eval time\s*=\s*([\d.]+) ms\s*\/\s*(\d+) tokens/),
        eval: grab(/(?<!prompt )eval time\s*=\s*([\d.]+) ms\s*\/\s*(\d+) runs/),
    };
}

async function main() {
    const a = parseArgs(process.argv.slice(2));
    if (!fs.existsSync(a.model)) usage(`no such file: ${a.model}`);

    const llama = await getLlama({
        gpu: false,
        build: "never",
        usePrebuiltBinaries: true,
        skipDownload: true,
        progressLogs: false,
        maxThreads: a.threads,
        logLevel: LlamaLogLevel.info,
        logger,
    });
    const model = await llama.loadModel({modelPath: a.model, gpuLayers: 0, useMmap: true});
    const nVocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length;
    if (!Number.isInteger(nVocab) || nVocab <= 0) throw new Error("cannot read tokenizer.ggml.tokens from the GGUF");

    // llama-bench: n_ctx = n_prompt + n_gen; n_batch = n_ubatch here (node-llama-cpp sets
    // n_ubatch = n_batch), so the whole prompt is one ubatch.
    const context = await model.createContext({
        contextSize: Math.max(a.prompt + a.gen, 16),
        batchSize: Math.max(a.prompt, 1),
        sequences: 1,
        threads: {ideal: a.threads, min: a.threads},
        flashAttention: false,
        experimentalKvCacheKeyType: a.kvType,
        experimentalKvCacheValueType: a.kvType,
        performanceTracking: true,
    });
    const seq = context.getSequence();
    const rand = rng(a.seed);
    const randTok = () => Math.floor(rand() * nVocab);

    const cpuLibs = loadedLibs().filter((p) => /libggml-cpu/.test(p)).map((p) => path.basename(p));
    const rel = llama.llamaCppRelease;
    console.log(`model: ${a.model} (${model.fileInfo.metadata?.general?.architecture ?? "?"}, ` +
        `${(model.size / 2 ** 20).toFixed(1)} MiB, n_vocab ${nVocab})`);
    console.log(`llama.cpp: ${rel.repo} ${rel.release} via node-llama-cpp (${llama.buildType}), ` +
        `gpu=${llama.gpu}, cpu backend: ${cpuLibs.join(", ") || "(not found in /proc/self/maps)"}`);
    console.log(`system_info: ${llama.systemInfo.trim()}`);
    console.log(`threads: ${context.currentThreads} | n_ctx ${context.contextSize} | n_batch=n_ubatch ` +
        `${context.batchSize} | kv ${a.kv} | flash_attn off | reps ${a.reps}`);

    // One pp batch: clear the KV cache, decode `n` random tokens in one batch, output on the
    // last one (a greedy sample of that row, like llama-bench's single output row).
    async function runPrompt(n) {
        await seq.clearHistory();
        const toks = Array.from({length: n}, randTok);
        const input = toks.map((t, i) => i === n - 1
            ? [t, {generateNext: {token: true, options: {temperature: 0}}}]
            : t);
        const t0 = performance.now();
        const res = await seq.controlledEvaluate(input);
        const t1 = performance.now();
        if (seq.nextTokenIndex !== n) throw new Error(`pp: sequence holds ${seq.nextTokenIndex} tokens, expected ${n}`);
        if (res[n - 1]?.next?.token === undefined) throw new Error("pp: no output for the last token");
        return t1 - t0;
    }

    // `n` single-token decodes from an empty cache, each fed a random token; the sampled
    // token (EOS or not) is ignored, so generation cannot stop early.
    async function runGen(n) {
        await seq.clearHistory();
        // evaluateWithMetadata is what evaluate() wraps; it yields {token}, the greedy sample.
        const it = seq.evaluateWithMetadata([randTok()], {}, {temperature: 0, yieldEogToken: true});
        let steps = 0, eog = 0;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
            const r = await (i === 0 ? it.next() : it.next(randTok()));
            if (r.done) throw new Error(`tg: generation stopped after ${steps} steps`);
            steps++;
            if (model.isEogToken(r.value.token)) eog++;
        }
        const t1 = performance.now();
        await it.return();
        if (steps !== n || seq.nextTokenIndex !== n)
            throw new Error(`tg: ${steps} steps, sequence holds ${seq.nextTokenIndex} tokens, expected ${n}`);
        return {ms: t1 - t0, eog};
    }

    // Warm-up (not timed, not reported), then reset the perf counters.
    if (a.prompt > 0) await runPrompt(a.prompt);
    if (a.gen > 0) await runGen(1);
    await perfCounters(context);

    const fmtNative = (c, key, want) => {
        const x = c[key];
        if (x == null) return `llama.cpp ${key}: n/a`;
        const ok = x.n === want ? "" : ` (EXPECTED ${want})`;
        return `llama.cpp ${key === "eval" ? "eval" : "prompt eval"} ${x.ms.toFixed(2)} ms / ${x.n}${ok}`;
    };
    const pp = [], tg = [], ppNative = [], tgNative = [];
    for (let r = 0; r < a.reps; r++) {
        if (a.prompt > 0) {
            const ms = await runPrompt(a.prompt);
            const c = await perfCounters(context);
            pp.push(a.prompt / (ms / 1000));
            if (c.prompt?.n === a.prompt && c.prompt.ms > 0) ppNative.push(a.prompt / (c.prompt.ms / 1000));
            console.log(`rep ${r + 1}: pp${a.prompt} ${ms.toFixed(2)} ms  ${pp.at(-1).toFixed(2)} tok/s  ` +
                `[${fmtNative(c, "prompt", a.prompt)} tokens]`);
        }
        if (a.gen > 0) {
            const {ms, eog} = await runGen(a.gen);
            const c = await perfCounters(context);
            tg.push(a.gen / (ms / 1000));
            if (c.eval?.n === a.gen && c.eval.ms > 0) tgNative.push(a.gen / (c.eval.ms / 1000));
            console.log(`rep ${r + 1}: tg${a.gen} ${ms.toFixed(2)} ms  ${tg.at(-1).toFixed(2)} tok/s  ` +
                `(${(ms / a.gen).toFixed(3)} ms/tok)  [${fmtNative(c, "eval", a.gen)} runs; EOG sampled ${eog}x, ignored]`);
        }
    }
    // llama.cpp's own decode time only (closest to what llama-bench itself times); the
    // `median:` line below is wall clock around node-llama-cpp's calls and stays last.
    const native = [];
    if (ppNative.length) native.push(`pp${a.prompt} ${median(ppNative).toFixed(2)} tok/s`);
    if (tgNative.length) native.push(`tg${a.gen} ${median(tgNative).toFixed(2)} tok/s`);
    if (native.length) console.log(`median (llama.cpp internal decode time): ${native.join(" | ")}`);
    const parts = [];
    if (pp.length) parts.push(`pp${a.prompt} ${median(pp).toFixed(2)} tok/s`);
    if (tg.length) parts.push(`tg${a.gen} ${median(tg).toFixed(2)} tok/s`);
    console.log(`median: ${parts.join(" | ")}`);

    await context.dispose();
    await model.dispose();
    await llama.dispose();
}

main().catch((e) => {
    process.stderr.write(`llama_cpp_bench: ${e?.stack ?? e}\n`);
    process.exit(1);
});
