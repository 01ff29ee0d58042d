#!/usr/bin/env node
// llama.cpp's batched generation (CPU), through the npm package node-llama-cpp: N sequences in
// one context, each a distinct 128-token prompt then 128 generated tokens (greedy, EOS ignored),
// all running at once; node-llama-cpp packs the sequences' pending tokens into shared
// llama_decode batches, as llama.cpp's batched-bench does. Same measure as serving_bench:
// aggregate generation tokens/s once every sequence has its first token, and end to end.
//
//   node bench/llama_cpp_batched.mjs MODEL.gguf [--threads 2] [--streams 1,2,4,...]
import {createRequire} from "node:module";
import {fileURLToPath, pathToFileURL} from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "tools", "node_modules", "noop.js"));
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(require.resolve("node-llama-cpp")).href);

const args = process.argv.slice(2);
const modelPath = args[0];
const opt = (name, def) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : def;
};
const threads = Number(opt("--threads", "2"));
const streams = opt("--streams", "1,2,4,8,16,32,64").split(",").map(Number);
const promptLen = 128, genLen = 128;

const llama = await getLlama({gpu: false, build: "never", usePrebuiltBinaries: true, skipDownload: true,
    progressLogs: false, maxThreads: threads, logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, gpuLayers: 0, useMmap: true});
const nVocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
console.log(`llama.cpp ${llama.llamaCppRelease.release} via node-llama-cpp, ${threads} threads, ${modelPath}`);
console.log("streams  gen_tok/s  e2e_tok/s  prefill_s  gen_s");
for (const n of streams) {
    const context = await model.createContext({contextSize: n * (promptLen + genLen + 16), batchSize: 512,
        sequences: n, threads: {ideal: threads, min: threads}, flashAttention: false,
        batching: {dispatchSchedule: "nextCycle", itemPrioritizationStrategy: "maximumParallelism"}});
    const tokenTimes = [];
    let lastFirst = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({length: n}, async (_, s) => {
        const seq = context.getSequence();
        const prompt = Array.from({length: promptLen}, (_, i) => (i * 7919 + (1000 * n + s) * 104729 + 13) % (nVocab - 1000) + 500);
        const it = seq.evaluateWithMetadata(prompt, {}, {temperature: 0, yieldEogToken: true});
        for (let i = 0; i < genLen; i++) {
            const r = await it.next();
            if (r.done) throw new Error("generation stopped early");
            const now = performance.now();
            tokenTimes.push(now);
            if (i === 0) lastFirst = Math.max(lastFirst, now);
        }
        await it.return();
    }));
    const t1 = performance.now();
    const inWindow = tokenTimes.filter((t) => t > lastFirst).length;
    console.log(`${String(n).padStart(7)}  ${(inWindow / ((t1 - lastFirst) / 1000)).toFixed(2).padStart(9)}  ` +
        `${(n * genLen / ((t1 - t0) / 1000)).toFixed(2).padStart(9)}  ${((lastFirst - t0) / 1000).toFixed(2).padStart(9)}  ` +
        `${((t1 - lastFirst) / 1000).toFixed(2).padStart(5)}`);
    await context.dispose();
}
