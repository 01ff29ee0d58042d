// Drives a running turbine server with the real client libraries, `openai` and
// `@langchain/openai`: chat, streaming, n, logprobs, stop, completions. Usage:
//   node openai_clients.mjs BASE_URL MODEL
// Prints one JSON object of what each check saw; exits 1 with the failed check's message.
import OpenAI from "openai";
import { ChatOpenAI } from "@langchain/openai";
import assert from "node:assert/strict";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + "/v1", apiKey: "not-needed", maxRetries: 0 });
const report = {};
const messages = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Name three rivers." },
];

async function check(name, fn) {
  try {
    report[name] = await fn();
  } catch (e) {
    console.log(JSON.stringify(report));
    console.error(`${name}: ${e.stack || e}`);
    process.exit(1);
  }
}

await check("models", async () => {
  const list = await client.models.list();
  const ids = list.data.map((m) => m.id);
  assert.ok(ids.includes(model), `models: ${ids}`);
  return ids;
});

let greedyText = "";
await check("chat", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
  assert.equal(r.object, "chat.completion");
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.equal(r.usage.completion_tokens, 12);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 12);
  greedyText = r.choices[0].message.content;
  return { text: greedyText, usage: r.usage };
});

await check("stream", async () => {
  const stream = await client.chat.completions.create({
    model, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  let text = "", chunks = 0, usage = null, finish = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? "";
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, greedyText, "streamed text equals the whole response");
  assert.equal(finish, "length");
  assert.equal(usage.completion_tokens, 12);
  return { chunks, text };
});

await check("n_and_seed", async () => {
  const a = await client.chat.completions.create({ model, messages, max_tokens: 6, n: 3, temperature: 1.0, seed: 42 });
  const b = await client.chat.completions.create({ model, messages, max_tokens: 6, n: 3, temperature: 1.0, seed: 42 });
  assert.equal(a.choices.length, 3);
  assert.deepEqual(a.choices.map((c) => c.index), [0, 1, 2]);
  assert.deepEqual(a.choices.map((c) => c.message.content), b.choices.map((c) => c.message.content), "a seed reproduces");
  return a.choices.map((c) => c.message.content);
});

await check("logprobs", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 3 });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, 4);
  for (const t of content) {
    assert.equal(t.top_logprobs.length, 3);
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs[0].logprob, t.logprob, "greedy picks the most likely token");
    assert.ok(Array.isArray(t.bytes));
  }
  return content.map((t) => t.token);
});

await check("stop", async () => {
  const stop = greedyText.slice(4, 7);
  const r = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0, stop: [stop] });
  assert.equal(r.choices[0].finish_reason, "stop");
  assert.equal(r.choices[0].message.content, greedyText.slice(0, greedyText.indexOf(stop)));
  return { stop, text: r.choices[0].message.content };
});

await check("completions", async () => {
  const r = await client.completions.create({ model, prompt: "The rivers are", max_tokens: 5, temperature: 0, echo: true, logprobs: 2 });
  assert.ok(r.choices[0].text.startsWith("The rivers are"));
  assert.equal(r.choices[0].logprobs.token_logprobs[0], null);
  return r.choices[0].text;
});

await check("errors", async () => {
  try {
    await client.chat.completions.create({ model: "no-such-model", messages, max_tokens: 2 });
    assert.fail("an unknown model must fail");
  } catch (e) {
    assert.equal(e.status, 404);
    return e.message;
  }
});

await check("langchain", async () => {
  const llm = new ChatOpenAI({
    model, temperature: 0, maxTokens: 12, apiKey: "not-needed", configuration: { baseURL: baseURL + "/v1" },
  });
  const msg = await llm.invoke([["system", "You are terse."], ["human", "Name three rivers."]]);
  assert.equal(msg.content, greedyText, "LangChain sees the same greedy text");
  let streamed = "";
  for await (const chunk of await llm.stream([["system", "You are terse."], ["human", "Name three rivers."]])) streamed += chunk.content;
  assert.equal(streamed, greedyText);
  const stopped = await new ChatOpenAI({
    model, temperature: 0, maxTokens: 12, apiKey: "x", configuration: { baseURL: baseURL + "/v1" }, stop: [greedyText.slice(4, 7)],
  }).invoke("Name three rivers.");
  return { invoke: msg.content, streamed, usage: msg.usage_metadata, stopped: stopped.content };
});

console.log(JSON.stringify(report));
