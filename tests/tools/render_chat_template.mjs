// Reference chat-template renderings for turbine's ChatTemplate tests, by @huggingface/jinja
// (the renderer transformers.js uses).
// Usage: node render_chat_template.mjs [cases.json]   (no argument or "-": read stdin)
// Input: {"now_ms": <epoch ms, optional>, "cases": [{"template": "...", "context": {...}}, ...]}
// (a bare array of cases also works). Output: one JSON array with, per case, {"ok": rendered}
// or {"error": message}. With now_ms, `new Date()` returns that instant, so strftime_now() is
// reproducible; dates are formatted in the process's local time zone, as the library does.
// Lone surrogates in a rendering are replaced by U+FFFD (see below).
import fs from "node:fs";
import { Template } from "@huggingface/jinja";

const path = process.argv[2];
const input = JSON.parse(fs.readFileSync(!path || path === "-" ? 0 : path, "utf8"));
const cases = Array.isArray(input) ? input : input.cases;

if (!Array.isArray(input) && typeof input.now_ms === "number") {
  const RealDate = Date;
  const fixed = input.now_ms;
  globalThis.Date = class extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(fixed);
      else super(...args);
    }
    static now() {
      return fixed;
    }
  };
}

const parsed = new Map();  // template text -> Template, or the parse error
const results = cases.map(({ template, context }) => {
  try {
    if (!parsed.has(template)) {
      try {
        parsed.set(template, new Template(template));
      } catch (e) {
        parsed.set(template, e);
      }
    }
    const t = parsed.get(template);
    if (t instanceof Error) throw t;
    const out = t.render(context);
    if (typeof out !== "string") throw new Error(`render returned ${typeof out}`);
    // UTF-8 cannot carry a lone surrogate (indexing splits an emoji into halves): compare with
    // U+FFFD in its place, which is what turbine produces.
    return { ok: out.toWellFormed() };
  } catch (e) {
    return { error: String(e && e.message !== undefined ? e.message : e) };
  }
});
process.stdout.write(JSON.stringify(results) + "\n");
