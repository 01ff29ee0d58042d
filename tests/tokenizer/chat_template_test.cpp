// ChatTemplate against @huggingface/jinja (tests/tools/render_chat_template.mjs): real model
// templates over a corpus of conversations, and small templates for each language feature, must
// render byte for byte as the reference does, or fail where it fails. Then the interpreter's own
// guarantees: errors with line:column, and limits that stop hostile templates.
#include "tokenizer/chat_template.h"

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace turbine {
namespace {

using nlohmann::ordered_json;

const std::string kRoot = TURBINE_SOURCE_DIR;
constexpr int64_t kNowMs = 1721995200000;  // 2024-07-26 12:00:00 UTC: what strftime_now() sees

ChatTemplateRenderOptions fixed_time() {
  ChatTemplateRenderOptions options;
  options.now = std::chrono::system_clock::time_point(std::chrono::milliseconds(kNowMs));
  return options;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string template_text(const std::string& file) { return read_file(kRoot + "/tests/tokenizer/chat_templates/" + file); }

// Runs a shell command; its stdout, or an error with the exit status.
Result<std::string> run_command(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return io_error("cannot run: " + cmd);
  std::string out;
  std::array<char, 1 << 16> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0;) out.append(buf.data(), n);
  const int rc = pclose(pipe.release());
  if (rc != 0) return io_error("exit status " + std::to_string(rc) + " from: " + cmd + "\n" + out.substr(0, 2000));
  return out;
}

struct Case {
  std::string name;
  std::string source;  // the template
  ordered_json context;
};

// ---------------------------------------------------------------------------------------------
// The conversation corpus

ordered_json msg(const char* role, ordered_json content) { return {{"role", role}, {"content", std::move(content)}}; }

ordered_json tool_call(const char* id, const char* name, ordered_json arguments) {
  return {{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", std::move(arguments)}}}};
}

ordered_json assistant_calls(ordered_json calls, ordered_json content = nullptr) {
  return {{"role", "assistant"}, {"content", std::move(content)}, {"tool_calls", std::move(calls)}};
}

ordered_json tool_result(const char* id, const char* name, const char* content) {
  return {{"role", "tool"}, {"tool_call_id", id}, {"name", name}, {"content", content}};
}

// Key order is deliberate: not alphabetical, so a renderer that sorts keys shows up.
// hermes: its json_to_python_type indexes a map with the `type` of an array's items (undefined)
// and with a union type (a list), both of which the reference refuses; leave those out for it.
ordered_json tools(bool hermes = false) {
  ordered_json t = ordered_json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Get the \"current\" weather in a city",
      "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "City and country, e.g. Paris, France"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": " Unit of temperature "}},
        "required": ["location"]}}},
    {"type": "function", "function": {"name": "search", "description": "Search the web — ünïcode 検索",
      "parameters": {"type": "object", "properties": {
        "query": {"type": "string", "description": "What to look for"},
        "limit": {"type": "integer", "default": 10, "minimum": 1.5, "maximum": 100.0, "exclusive": false, "x": null,
                  "description": "Most results"},
        "tags": {"type": "array", "items": {"type": "string"}, "2": "numeric key", "10": "numeric key", "description": "Tags"},
        "meta": {"type": "object", "additionalProperties": {"type": "number"}, "description": "Weights"},
        "mode": {"type": ["string", "null"], "description": "Union type"}},
        "required": ["query"]},
      "return": {"type": "string", "description": "The top results"}}}
  ])");
  if (hermes) {
    t[1]["function"]["parameters"]["properties"].erase("tags");
    t[1]["function"]["parameters"]["properties"].erase("mode");
  }
  return t;
}

struct Conversation {
  std::string name;
  ordered_json messages;
};

std::vector<Conversation> conversations() {
  const ordered_json weather_args = {{"location", "Paris, France"}, {"unit", "celsius"}};
  std::vector<Conversation> c;
  c.push_back({"single user", {msg("user", "Hello, how are you?")}});
  c.push_back({"multi-turn", {msg("user", "Hi!"), msg("assistant", "Hello! How can I help?"), msg("user", "Tell me a joke.")}});
  c.push_back({"system multi-turn",
               {msg("system", "You are a pirate."), msg("user", "Hi!"), msg("assistant", "Arr, ahoy!"), msg("user", "Where's the treasure?")}});
  c.push_back({"system only", {msg("system", "Be brief.")}});
  c.push_back({"ends with assistant", {msg("user", "Complete: 1, 2, 3"), msg("assistant", "4, 5")}});
  c.push_back({"unicode", {msg("user", "Привет 👋 你好 — café, naïve, ñ"), msg("assistant", "日本語の返答 🎉 مرحبا"),
                           msg("user", "emoji 🧑‍💻 and CJK 中文 and 한국어")}});
  c.push_back({"quotes and backslashes",
               {msg("system", "Say \"hi\" and 'bye'."), msg("user", "C:\\path\\to\\file \\n not a newline; {{ not a tag }} {% raw %}"),
                msg("assistant", "Escapes: \\\" \\' \t tab\nnewline"), msg("user", "</s><|eot_id|> [INST] <tool_call>")}});
  c.push_back({"whitespace content", {msg("system", "  spaced system  \n"), msg("user", "\n\n  padded user  \n\n"),
                                      msg("assistant", "\n answer \n"), msg("user", "")}});
  c.push_back({"tool call, object arguments",
               {msg("system", "You can call tools."), msg("user", "What's the weather in Paris?"),
                assistant_calls({tool_call("call12345", "get_weather", weather_args)}),
                tool_result("call12345", "get_weather", "{\"temperature\": 22, \"unit\": \"celsius\"}"),
                msg("assistant", "It is 22°C in Paris.")}});
  c.push_back({"tool call, string arguments",
               {msg("user", "Weather in Oslo?"),
                assistant_calls({tool_call("abcdefghi", "get_weather", "{\"location\": \"Oslo\", \"unit\": \"celsius\"}")}),
                tool_result("abcdefghi", "get_weather", "-3 degrees"), msg("user", "Thanks! And Bergen?")}});
  c.push_back({"parallel tool calls",
               {msg("user", "Weather in Oslo and Rome?"),
                assistant_calls({tool_call("call00001", "get_weather", {{"location", "Oslo"}}),
                                 tool_call("call00002", "get_weather", {{"location", "Rome"}})},
                                "Let me check both."),
                tool_result("call00001", "get_weather", "cold"), tool_result("call00002", "get_weather", "warm")}});
  c.push_back({"reasoning_content",
               {msg("user", "What is 2+2?"),
                {{"role", "assistant"}, {"content", "4"}, {"reasoning_content", "Two plus two.\nThat is four."}},
                msg("user", "And 3+3?"),
                {{"role", "assistant"}, {"content", "6"}, {"reasoning_content", "Three plus three is six."}}}});
  c.push_back({"think tags in content",
               {msg("user", "Hi"), msg("assistant", "<think>\nThe user greets me.\n</think>\n\nHello!"), msg("user", "Bye")}});
  c.push_back({"tool response after thinking",
               {msg("user", "Search for cats"),
                {{"role", "assistant"}, {"content", ""}, {"reasoning_content", "I should search."},
                 {"tool_calls", {tool_call("call77777", "search", {{"query", "cats"}, {"limit", 3}})}}},
                tool_result("call77777", "search", "<tool_response>cats are great</tool_response>")}});
  c.push_back({"content parts", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "Describe this."}}}}}}});
  c.push_back({"roles not alternating", {msg("user", "one"), msg("user", "two")}});
  c.push_back({"starts with assistant", {msg("assistant", "I speak first."), msg("user", "ok")}});
  c.push_back({"bad tool call id", {msg("user", "x"), assistant_calls({tool_call("short", "get_weather", weather_args)})}});
  c.push_back({"no messages", ordered_json::array()});
  c.push_back({"numbers and null content", {msg("user", 42), msg("assistant", nullptr), msg("user", 3.5)}});
  return c;
}

struct TemplateSpec {
  std::string file;
  ordered_json base;                  // bos/eos tokens
  std::vector<ordered_json> extras;   // extra kwargs, each rendered with every conversation
};

std::vector<TemplateSpec> template_specs() {
  const ordered_json llama = {{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|eot_id|>"}};
  const ordered_json mistral = {{"bos_token", "<s>"}, {"eos_token", "</s>"}};
  const ordered_json qwen = {{"bos_token", nullptr}, {"eos_token", "<|im_end|>"}};
  const ordered_json none = ordered_json::object();
  const ordered_json with_tools = {{"tools", tools()}};
  return {
      {"meta-llama-Meta-Llama-3-8B-Instruct.jinja", llama, {none}},
      {"meta-llama-Llama-3.1-8B-Instruct.jinja", llama,
       {none, with_tools, {{"tools", tools()}, {"tools_in_user_message", false}}, {{"date_string", "01 Jan 2025"}},
        {{"custom_tools", tools()}}, {{"builtin_tools", {"code_interpreter", "brave_search"}}}}},
      {"meta-llama-Llama-3.2-3B-Instruct.jinja", llama,
       {none, with_tools, {{"tools", tools()}, {"tools_in_user_message", false}}, {{"date_string", "01 Jan 2025"}}}},
      {"mistralai-Mistral-7B-Instruct-v0.3.jinja", mistral, {none, with_tools}},
      {"mistralai-Mistral-Nemo-Instruct-2407.jinja", mistral, {none, with_tools}},
      {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", {{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|im_end|>"}},
       {{{"tools", tools(true)}}}},
      {"microsoft-Phi-3.5-mini-instruct.jinja", {{"bos_token", "<s>"}, {"eos_token", "<|endoftext|>"}}, {none}},
      {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
       {{"bos_token", "<｜begin▁of▁sentence｜>"}, {"eos_token", "<｜end▁of▁sentence｜>"}}, {none}},
      {"Qwen-Qwen3.jinja", qwen,
       {none, with_tools, {{"enable_thinking", false}}, {{"enable_thinking", true}},
        {{"tools", tools()}, {"enable_thinking", false}}}},
  };
}

std::vector<Case> real_template_cases() {
  std::vector<Case> cases;
  for (const TemplateSpec& spec : template_specs()) {
    const std::string source = template_text(spec.file);
    for (const Conversation& conv : conversations()) {
      for (size_t e = 0; e < spec.extras.size(); ++e) {
        for (bool gen : {true, false}) {
          ordered_json ctx = {{"messages", conv.messages}};
          for (const auto& [k, v] : spec.base.items()) ctx[k] = v;
          ctx["add_generation_prompt"] = gen;
          for (const auto& [k, v] : spec.extras[e].items()) ctx[k] = v;
          cases.push_back({spec.file + " / " + conv.name + " / " + spec.extras[e].dump() + " / gen=" + (gen ? "1" : "0"),
                           source, std::move(ctx)});
        }
      }
    }
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Small templates, one language feature each, rendered by both implementations.

std::vector<Case> language_cases() {
  const ordered_json data = ordered_json::parse(R"({
    "xs": [3, 1, 2], "words": ["b", "A", "c", "a"], "empty": [], "s": "  Hello World  ", "n": 7, "f": 2.5,
    "d": {"b": 1, "a": {"x": [1, 2]}, "c": null}, "t": true, "nothing": null, "zero": 0,
    "people": [{"name": "Ann", "age": 30, "role": "user"}, {"name": "Bob", "age": 25, "role": "assistant"},
               {"name": "Cy", "age": 35, "role": "user", "extra": {"k": "v"}}],
    "u": "ünï 日本 😀", "html": "<a href=\"x\">&</a>", "num_s": "42abc", "float_s": "3.25e1x"
  })");
  const std::vector<std::string> sources = {
      // Whitespace control, trim_blocks and lstrip_blocks as Template applies them.
      "a  {{- 'b' -}}  c", "a  {%- if true -%}  b  {%- endif -%}  c", "{% if true %}\n  x\n{% endif %}\n",
      "  {% if true %}\nline\n  {% endif %}\nend", "{# comment #}\nx{#- trimmed -#}  y", "{{ 'a' }}\n{{ 'b' }}\n\n",
      "x\n{%- generation -%}\ny\n{% endgeneration %}\nz", "\t{%- set a = 1 %}\n\t{{ a }}\n",
      "{{- '\\n' }}  {{ 'x' }}  \n", "text with trailing newline\n", "{% raw %}",
      // Output of each type.
      "{{ n }}|{{ f }}|{{ 1.0 }}|{{ -0.0 }}|{{ 10 / 4 }}|{{ 10 // 4 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}",
      "{{ t }}|{{ nothing }}|{{ missing }}|{{ xs }}|{{ d }}|{{ people[0] }}|{{ 1e300 * 1e10 if false else 1 }}",
      "{{ 1 / 3 }}|{{ 100000000000000000000000 }}|{{ 0.1 + 0.2 }}|{{ 123456789 * 1000000000000 }}|{{ 1/0 }}",
      "{{ 'a' ~ 1 ~ 1.0 ~ true ~ xs }}|{{ 'x' + 1 }}|{{ 1 + 'x' }}|{{ xs + [4] }}|{{ 'ab' * 2 }}",
      // Comparisons, logic, membership.
      "{{ 1 == 1.0 }}{{ '1' == 1 }}{{ true == 1 }}{{ none == missing }}{{ xs == xs }}{{ [1] == [1] }}{{ 'a' != 'b' }}",
      "{{ 1 < 2 }}{{ 2 <= 1 }}{{ 'a' < 'b' }}", "{{ 'b' in 'abc' }}{{ 2 in xs }}{{ 'a' in d }}{{ 'z' not in d }}{{ 'x' in missing }}",
      "{{ [1] in [[1]] }}", "{{ none in xs }}", "{{ t and 'yes' }}|{{ empty or 'fallback' }}|{{ not empty }}|{{ d and 1 }}",
      "{{ 'yes' if n > 5 else 'no' }}|{{ 'shown' if t }}|{{ 'hidden' if not t }}|",
      // Member access, indexing, slicing.
      "{{ xs[0] }}{{ xs[-1] }}{{ xs[5] }}|{{ d.a.x[1] }}{{ d['b'] }}{{ d.zzz }}|{{ s[2] }}{{ u[0] }}{{ u[-1] }}",
      "{{ xs[::-1] }}{{ xs[1:] }}{{ xs[:-1] }}{{ xs[::2] }}{{ xs[5:] }}{{ u[::-1] }}{{ s[2:7] }}{{ xs[1:2:0] }}",
      "{{ missing.attr }}|{{ nothing.attr }}", "{{ missing[0] }}", "{{ xs.length }}{{ s.length }}{{ u.length }}{{ d.length }}",
      // Loops.
      "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}"
      "{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
      "{% for x in empty %}x{% else %}empty{% endfor %}", "{% for k in d %}{{ k }},{% endfor %}",
      "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{% for x in xs if x > 1 %}{{ x }}{{ loop.index }}{% endfor %}",
      "{% for x in xs %}a{% if x == 1 %}{% continue %}{% endif %}b{% endfor %}",
      "{% for x in xs %}{{ x }}{% if x == 1 %}{% break %}{% endif %}{% endfor %}",
      "{% for x in xs %}{% continue %}{% else %}else runs{% endfor %}", "{% for c in 'abc' %}{{ c }}{% endfor %}",
      "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}", "{% for a, b in [(1, 2)] %}{{ a }}{% endfor %}",
      "{% for x in xs %}{% set y = x %}{% endfor %}{{ y }}", "{% break %}",
      // Assignment and scoping.
      "{% set a = 1 %}{% for x in xs %}{% set a = x %}{% endfor %}{{ a }}",
      "{% set ns = namespace(total=0) %}{% for x in xs %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }}{{ ns }}",
      "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{% set x %}captured {{ n }}{% endset %}[{{ x }}]", "{% set d.b = 2 %}",
      "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c }}", "{{ namespace(['ab', ['c', 3]]) }}",
      // Macros and call blocks.
      "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }}{{ greet('Bob', '?') }}{{ greet(punct='.', name='Cy') }}",
      "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}",
      "{% macro m() %}{{ n }}{% endmacro %}{% set n = 99 %}{{ m() }}", "{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inner {{ n }}{% endcall %}",
      "{% macro row(x) %}{{ caller(x * 2) }}{% endmacro %}{% call(v) row(21) %}v={{ v }}{% endcall %}",
      "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}",
      // Filters.
      "{{ s | trim }}|{{ s | upper }}|{{ s | lower }}|{{ 'hello wORLD' | title }}|{{ 'élan vital' | capitalize }}|{{ u | upper }}|{{ 'ß' | upper }}",
      "{{ xs | length }}{{ s | length }}{{ d | length }}|{{ xs | first }}{{ xs | last }}|{{ xs | join(', ') }}|{{ words | join }}|{{ 'abc' | join('-') }}",
      "{{ xs | sort }}{{ words | sort }}{{ words | sort(reverse=true) }}{{ words | sort(case_sensitive=true) }}{{ people | sort(attribute='age') | map(attribute='name') | join }}",
      "{{ xs | reverse }}{{ [1, 2, 1, '1', none, none] | unique }}{{ xs | list }}{{ d | items }}{{ d | dictsort }}{{ d | dictsort(reverse=true) }}",
      "{{ people | selectattr('role', 'equalto', 'user') | map(attribute='name') | join(',') }}|{{ people | rejectattr('extra') | length }}"
      "|{{ people | selectattr('extra') | map(attribute='extra.k') | list }}|{{ people | map(attribute='missing', default='-') | join }}",
      "{{ missing | default('dflt') }}|{{ '' | default('dflt') }}|{{ '' | default('dflt', true) }}|{{ nothing | default('x') }}",
      "{{ missing | default }}", "{{ num_s | int }}|{{ float_s | float }}|{{ 'x' | int }}|{{ 'x' | int(7) }}|{{ f | int }}|{{ -2.5 | int }}|{{ n | float }}|{{ t | int }}",
      "{{ -3 | abs }}{{ -2.5 | abs }}|{{ n | string }}{{ f | string }}{{ t | string }}{{ xs | string }}",
      "{{ 'a\nb\n\nc' | indent }}|{{ 'a\nb\n\nc' | indent(2, true) }}|{{ 'a\nb\n\nc' | indent(width=1, blank=true) }}",
      "{{ 'a-b-c' | replace('-', '+') }}{{ 'aaa' | replace('a', 'b', 2) }}{{ 'abc' | replace('', '.') }}{{ html | safe }}",
      "{{ html | e }}", "{{ xs | select }}", "{{ xs | map('string') }}", "{{ xs | sum }}",
      "{% filter upper %}shout {{ n }}{% endfilter %}", "{{ d | keys }}",
      // tojson.
      "{{ d | tojson }}|{{ people[2] | tojson(indent=2) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson(indent=2) }}",
      "{{ u | tojson }}|{{ u | tojson(ensure_ascii=true) }}|{{ html | tojson }}|{{ 'tab\tnl\nctl\x01 del\x7f' | tojson }}",
      "{{ {'b': 1, 'a': [1.5, 2.0, none, true]} | tojson(separators=(',', ':')) }}|{{ {'b': 1, 'A': 2, 'a': 3} | tojson(sort_keys=true) }}",
      "{{ missing | tojson }}|{{ (1, 2) | tojson }}", "{{ (1, 2) }}",
      // Tests.
      "{{ n is number }}{{ f is integer }}{{ s is string }}{{ xs is iterable }}{{ d is mapping }}{{ d is iterable }}{{ s is sequence }}"
      "{{ nothing is none }}{{ missing is defined }}{{ missing is undefined }}{{ t is true }}{{ t is false }}{{ n is odd }}{{ n is even }}",
      "{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ greet is callable }}{{ n is not none }}{{ (1, 2) is iterable }}",
      "{{ n is divisibleby(2) }}", "{{ n is odd(1) }}", "{{ f is odd }}",
      // String methods.
      "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip('H ') }}|{{ s.upper() }}|{{ s.lower() }}|{{ s.title() }}",
      "{{ 'a,b,,c'.split(',') }}{{ ' a  b c '.split() }}{{ 'a,b,c'.split(',', 1) }}{{ ' a b c '.split(none, 1) }}{{ 'abc'.split('') }}",
      "{{ s.startswith('  He') }}{{ s.endswith(('x', '  ')) }}{{ 'a-b'.replace('-', '_') }}{{ 'aXbXc'.replace('X', '', count=1) }}",
      "{{ d.get('b') }}{{ d.get('zz', 'dflt') }}{{ d.get('zz') }}{{ d.keys() }}{{ d.values() }}{{ d.items() | list }}",
      "{{ s.nosuchmethod() }}", "{{ s.format(1) }}", "{{ xs.append(4) }}",
      // Globals.
      "{{ range(3) }}{{ range(1, 7, 2) }}{{ range(5, 0, -2) }}{{ range(0) }}", "{{ range(1, 2, 0) }}",
      "{{ strftime_now('%Y-%m-%d %H:%M %b %B %% %A') }}", "{{ raise_exception('custom failure') }}",
      "{{ True }}{{ False }}{{ None }}{{ true }}{{ none }}", "{% set true = 5 %}{{ true }}",
      // Literals and escapes.
      "{{ 'it''s' }}{{ \"dq\" 'sq' }}{{ '\\u00e9\\x41\\t|' }}{{ '\\ud83d\\ude00' }}", "{{ [1, 'a', [none]] }}{{ {'k': 'v', 'n': {'m': 1}} }}",
      "{{ '\\q' }}", "{{ 'unterminated }}", "{{ -n }}{{ +n }}{{ - -n }}{{ -f }}{{ not not t }}",
      // Unicode: JavaScript's whitespace, case mapping and UTF-16 lengths.
      "[{{ '\u00a0 x \u3000' | trim }}][{{ ' a\u2003b '.split() }}][{{ 'ΟΔΟΣ' | lower }}][{{ 'ǆ' | upper }}][{{ '😀x' | length }}]",
      "{{ 'ß'.capitalize() }}{{ '😀a'.capitalize() }}{{ 'x😀y'[1] }}{{ 'x😀y'[1:2] }}{{ ['é', 'e', 'z', 'É'] | sort }}",
      "a\u3000{%- if true -%}\u00a0b{%- endif %}",
      // Raw text the preprocessing touches, inside string literals too.
      "{{ 'a%}\nb' }}|{{ 'x\n   {%' }}|{{ {'a': {'b': 1}} }}|{{ '{{ not a tag }}' }}", "line1\r\n{% if true %}\r\nx\r\n{% endif %}\r\n",
      // Numbers.
      "{{ 0.0000001 }}|{{ 2 ** 0.5 }}|{{ 10 % 3.5 }}|{{ -7 // 2 }}|{{ 7 // -2.0 }}|{{ 2.5 | tojson }}|{{ (0.1 + 0.2) | tojson }}|{{ 1e2 }}",
      "{{ -1 ** 0.5 }}", "{{ 0 ** -1 }}", "{{ 5 // 0 }}|{{ -5 / 0 }}|{{ 0 / 0 }}",
      // More macros, scopes and filters.
      "{% macro m(a, b=a ~ '!') %}{{ b }}{% endmacro %}{{ m('x') }}{{ m('x', none) }}{{ m(missing) }}", "{{ later() }}{% macro later() %}{% endmacro %}",
      "{% for x in [1, 2] %}{% for y in [3] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}",
      "{{ people | selectattr('extra', 'defined') | length }}{{ people | selectattr('extra', 'undefined') | length }}"
      "{{ people | selectattr('age', 'odd') | length }}{{ people | rejectattr('name', 'string') | length }}",
      "{{ xs | length() }}", "{{ 'abc' | list }}", "{{ d | items() }}{{ d | dictsort(false, 'value') }}", "{{ people | map(attribute=0) }}",
      "{{ xs | join(',') | length }}{{ [none, missing, 1, 'a', [2, [3]], d] | join('|') }}", "{{ xs | sort(true) }}{{ people | sort(attribute='name', reverse=true) | map(attribute='age') | list }}",
      "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}{% for i in [1] %}{% set x = 3 %}{{ x }}{% endfor %}{{ x }}",
      "{{ xs is sequence }}{{ none is string }}{{ d.get is callable }}",
      // Syntax errors.
      "{% if x %}", "{% for x in xs %}{% endif %}", "{{ x", "{% unknown %}", "{{ 1 + }}", "{% endfor %}", "{{ {'a': 1 }}", "{# open comment",
      "{% set = 1 %}", "{% macro m(a=1, b) %}{% endmacro %}", "{{ f(a=1, 2) }}", "{{ x[] }}", "{{ 'a' is 5 }}", "{{ x | 'f' }}",
  };
  std::vector<Case> cases;
  for (size_t i = 0; i < sources.size(); ++i) {
    ordered_json ctx = data;
    cases.push_back({"language #" + std::to_string(i) + ": " + sources[i], sources[i], std::move(ctx)});
  }
  // Context corner cases: object keys that look like array indices come first in JavaScript.
  cases.push_back({"index-like keys", "{{ d | tojson }}|{% for k in d %}{{ k }}{% endfor %}",
                   ordered_json::parse(R"({"d": {"b": 1, "10": 2, "a": 3, "2": 4, "01": 5, "-1": 6}})")});
  cases.push_back({"context shadows a global", "{{ true }}", ordered_json::parse(R"({"true": 1})")});
  cases.push_back({"float that is integral", "{{ v }}|{{ v | tojson }}|{{ w }}", ordered_json::parse(R"({"v": 2.0, "w": 1e21})")});
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Running the reference once for every case.

struct Reference {
  bool ok = false;
  std::string output;  // rendering, or the error message
};

class ReferenceRun {
 public:
  static const ReferenceRun& get() {
    static const ReferenceRun run;
    return run;
  }
  std::string error;  // why the reference could not run: the tests skip
  std::vector<Case> real, language;
  std::vector<Reference> real_refs, language_refs;

 private:
  ReferenceRun() : real(real_template_cases()), language(language_cases()) {
    if (!std::filesystem::exists(kRoot + "/tests/tools/node_modules/@huggingface/jinja/package.json")) {
      error = "@huggingface/jinja is not installed under tests/tools/node_modules (run scripts/setup)";
      return;
    }
    ordered_json input = {{"now_ms", kNowMs}, {"cases", ordered_json::array()}};
    for (const auto* set : {&real, &language}) {
      for (const Case& c : *set) input["cases"].push_back({{"template", c.source}, {"context", c.context}});
    }
    const std::string path = ::testing::TempDir() + "/chat_template_cases_" + std::to_string(getpid()) + ".json";
    std::ofstream(path, std::ios::binary) << input.dump();
    auto out = run_command("node '" + kRoot + "/tests/tools/render_chat_template.mjs' '" + path + "'");
    if (!getenv("KEEP_CASES")) std::filesystem::remove(path);  // KEEP_CASES=1: rerun node on it by hand
    if (!out.is_ok()) {
      error = out.status().message();
      return;
    }
    const auto results = nlohmann::json::parse(*out);
    size_t i = 0;
    for (auto* refs : {&real_refs, &language_refs}) {
      const size_t n = refs == &real_refs ? real.size() : language.size();
      for (size_t k = 0; k < n; ++k, ++i) {
        const auto& r = results.at(i);
        refs->push_back(r.contains("ok") ? Reference{true, r["ok"].get<std::string>()}
                                         : Reference{false, r["error"].get<std::string>()});
      }
    }
  }
};

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Where two renderings part, with some context on both sides.
std::string first_difference(const std::string& ours, const std::string& ref) {
  size_t i = 0;
  while (i < ours.size() && i < ref.size() && ours[i] == ref[i]) ++i;
  const size_t from = i > 60 ? i - 60 : 0;
  return "first difference at byte " + std::to_string(i) + "\n  ours: " + quoted(ours.substr(from, 160)) +
         "\n  ref:  " + quoted(ref.substr(from, 160));
}

// Checks every case; returns how many rendered identically and how many failed in both.
std::pair<int, int> expect_agreement(const std::vector<Case>& cases, const std::vector<Reference>& refs) {
  int identical = 0, both_failed = 0;
  std::map<std::string, ChatTemplate> parsed;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const Reference& ref = refs[i];
    auto it = parsed.find(c.source);
    Result<std::string> ours = invalid_argument("not parsed");
    if (it == parsed.end()) {
      auto t = ChatTemplate::parse(c.source);
      if (t.is_ok()) it = parsed.emplace(c.source, std::move(t).value()).first;
      else ours = t.status();
    }
    if (it != parsed.end()) ours = it->second.render(c.context, fixed_time());
    if (ref.ok) {
      if (!ours.is_ok()) {
        ADD_FAILURE() << c.name << "\n  we failed: " << ours.status().message() << "\n  reference: " << quoted(ref.output);
      } else if (*ours != ref.output) {
        ADD_FAILURE() << c.name << "\n  " << first_difference(*ours, ref.output);
      } else {
        ++identical;
      }
    } else if (ours.is_ok()) {
      ADD_FAILURE() << c.name << "\n  the reference failed (" << ref.output << ") but we rendered " << quoted(*ours);
    } else {
      ++both_failed;
    }
  }
  return {identical, both_failed};
}

TEST(ChatTemplateAgreement, RealTemplatesMatchReference) {
  const ReferenceRun& run = ReferenceRun::get();
  if (!run.error.empty()) GTEST_SKIP() << run.error;
  const auto [identical, both_failed] = expect_agreement(run.real, run.real_refs);
  std::printf("real templates: %zu cases, %d byte-identical, %d refused by both\n", run.real.size(), identical, both_failed);
  // The corpus must mostly render: a reference that fails everywhere would prove nothing.
  EXPECT_GT(identical, static_cast<int>(run.real.size() * 2 / 3));
}

TEST(ChatTemplateAgreement, LanguageFeaturesMatchReference) {
  const ReferenceRun& run = ReferenceRun::get();
  if (!run.error.empty()) GTEST_SKIP() << run.error;
  const auto [identical, both_failed] = expect_agreement(run.language, run.language_refs);
  std::printf("language cases: %zu cases, %d byte-identical, %d refused by both\n", run.language.size(), identical,
              both_failed);
}

// ---------------------------------------------------------------------------------------------
// The interpreter's own guarantees.

Result<std::string> render(const std::string& source, const ordered_json& context = ordered_json::object(),
                           ChatTemplateRenderOptions options = fixed_time()) {
  auto t = ChatTemplate::parse(source);
  if (!t.is_ok()) return t.status();
  return t->render(context, options);
}

std::string error_of(const Result<std::string>& r) { return r.is_ok() ? "(rendered: " + *r + ")" : r.status().message(); }
std::string output_of(const Result<std::string>& r) { return r.is_ok() ? *r : "(error: " + r.status().message() + ")"; }

TEST(ChatTemplate, RendersWithWhitespaceControl) {
  EXPECT_EQ(output_of(render("a  {{- 'b' -}}  c")), "abc");
  EXPECT_EQ(output_of(render("{% for m in messages %}\n  {{- m }}\n{% endfor %}\n", {{"messages", {"x", "y"}}})), "x\ny\n");
  EXPECT_EQ(output_of(render("{% for m in messages %}\n  {{- m }}\n{%- endfor %}\n", {{"messages", {"x", "y"}}})), "xy");
  EXPECT_EQ(output_of(render("{% if true %}\n  kept indent\n{% endif %}\n")), "  kept indent\n");
}

TEST(ChatTemplate, LoopsMacrosAndFilters) {
  EXPECT_EQ(output_of(render("{% for x in [1, 2, 3] %}{{ loop.index }}{% if not loop.last %},{% endif %}{% endfor %}")), "1,2,3");
  EXPECT_EQ(output_of(render("{% macro m(a, b='B') %}{{ a }}{{ b }}{% endmacro %}{{ m('A') }}{{ m('a', b='b') }}")), "ABab");
  EXPECT_EQ(output_of(render("{{ {'b': [1, 2], 'a': 'x'} | tojson(indent=2) }}")), "{\n  \"b\": [\n    1,\n    2\n  ],\n  \"a\": \"x\"\n}");
  EXPECT_EQ(output_of(render("{{ xs | selectattr('ok') | map(attribute='n') | join(', ') }}",
                    ordered_json::parse(R"({"xs": [{"n": 1, "ok": true}, {"n": 2, "ok": false}, {"n": 3, "ok": 1}]})"))),
            "1, 3");
  EXPECT_EQ(output_of(render("{{ 'A' ~ 1.0 }} {{ 1.0 }} {{ true }}")), "A1 1.0 true");  // the reference's JavaScript spelling
}

TEST(ChatTemplate, KeepsContextKeyOrder) {
  const auto ordered = ordered_json::parse(R"({"d": {"z": 1, "a": 2}})");
  EXPECT_EQ(output_of(render("{{ d | tojson }}", ordered)), "{\"z\": 1, \"a\": 2}");
  auto t = ChatTemplate::parse("{{ d | tojson }}");
  EXPECT_EQ(output_of(t->render(nlohmann::json::parse(R"({"d": {"z": 1, "a": 2}})"))), "{\"a\": 2, \"z\": 1}");  // already sorted
}

TEST(ChatTemplate, StrftimeNowUsesTheGivenTime) {
  ChatTemplateRenderOptions options;
  std::tm tm{};
  tm.tm_year = 2025 - 1900;
  tm.tm_mon = 2;
  tm.tm_mday = 9;
  tm.tm_hour = 14;
  tm.tm_min = 5;
  tm.tm_isdst = -1;
  options.now = std::chrono::system_clock::from_time_t(std::mktime(&tm));  // local time, as strftime_now formats
  EXPECT_EQ(output_of(render("{{ strftime_now('%d %b %Y %H:%M %B %%') }}", ordered_json::object(), options)), "09 Mar 2025 14:05 March %");
}

TEST(ChatTemplate, ParseErrorsNameLineAndColumn) {
  EXPECT_EQ(ChatTemplate::parse("{% if x %}\n  {% endfor %}").status().message(), "chat template 2:6: unexpected 'endfor'");
  EXPECT_EQ(ChatTemplate::parse("line one\n{{ x + }}").status().message(), "chat template 2:8: unexpected '}}'");
  EXPECT_EQ(ChatTemplate::parse("{% for x in y %}\n{{ x }}").status().message(),
            "chat template 2:8: unexpected end of template");
  EXPECT_EQ(ChatTemplate::parse("ü{{ 'x' @ }}").status().message(), "chat template 1:9: unexpected character '@'");
  EXPECT_EQ(ChatTemplate::parse("{% frobnicate %}").status().message(), "chat template 1:4: unknown statement 'frobnicate'");
}

TEST(ChatTemplate, RuntimeErrorsNameLineAndColumn) {
  EXPECT_EQ(error_of(render("ok\n  {{ raise_exception('roles must alternate') }}")),
            "chat template 2:6: roles must alternate");
  EXPECT_EQ(error_of(render("{{ 1 + none }}")), "chat template 1:6: Cannot perform operation on null values");
  EXPECT_EQ(error_of(render("{{ x | frob }}", {{"x", "s"}})), "chat template 1:8: Unknown StringValue filter: frob");
  EXPECT_EQ(error_of(render("{{ x }}", {{"namespace", 1}})), "chat template: Variable already declared: namespace");
  EXPECT_FALSE(ChatTemplate::parse("{{ x }}")->render(nlohmann::json::array()).is_ok());  // context must be an object
  // The reference prints a function's JavaScript source; here that is an error.
  EXPECT_EQ(error_of(render("{{ 'x' }}\n{{ namespace }}")), "chat template 2:4: Cannot convert a function to a string");
}

TEST(ChatTemplate, RefusesDeepRecursionAndNesting) {
  const auto forever = render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_NE(error_of(forever).find("levels deep"), std::string::npos) << error_of(forever);
  const std::string parens = "{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}";
  EXPECT_NE(ChatTemplate::parse(parens).status().message().find("nests too deeply"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 5000; ++i) blocks += "{% if true %}";
  EXPECT_NE(ChatTemplate::parse(blocks).status().message().find("nests too deeply"), std::string::npos);
  std::string negations = "{{ " + std::string(100000, '-') + "1 }}";
  EXPECT_FALSE(ChatTemplate::parse(negations).is_ok());
  // Long left-leaning chains build deep trees too; they are refused rather than recursed through.
  std::string sum = "{{ 1";
  for (int i = 0; i < 100000; ++i) sum += " + 1";
  EXPECT_NE(ChatTemplate::parse(sum + " }}").status().message().find("nests too deeply"), std::string::npos);
  std::string members = "{{ x";
  for (int i = 0; i < 100000; ++i) members += ".a";
  EXPECT_FALSE(ChatTemplate::parse(members + " }}").is_ok());
  EXPECT_TRUE(ChatTemplate::parse("{{ 'a' ~ b ~ 'c' ~ d.e.f ~ (g | h | i) ~ 1 + 2 + 3 }}").is_ok());
}

// The depth limits keep the machine stack small: renders that hit them still fit in 1 MiB.
TEST(ChatTemplate, DeepestRenderFitsInASmallStack) {
  struct Job {
    std::vector<std::string> errors;
  } job;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  pthread_t thread;
  auto body = [](void* arg) -> void* {
    auto* j = static_cast<Job*>(arg);
    // Plain recursion (the most machine stack per level), and recursion through loops,
    // conditionals, filters and nested calls.
    j->errors.push_back(error_of(render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")));
    j->errors.push_back(error_of(render(
        "{% macro f(n) %}{% for i in [1] %}{% if true %}{{ (((f(n + 1) ~ 'x') ~ 'y') | trim) }}{% endif %}{% endfor %}"
        "{% endmacro %}{{ f(0) }}")));
    j->errors.push_back(error_of(render(
        "{% macro f(n, d=f(n + 1)) %}{% endmacro %}{% macro g() %}{% call f(0) %}{{ g() }}{% endcall %}{% endmacro %}{{ g() }}")));
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, body, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  for (const std::string& e : job.errors) EXPECT_NE(e.find("levels deep"), std::string::npos) << e;
}

TEST(ChatTemplate, StopsRunawayWorkAndGrowth) {
  ChatTemplateRenderOptions options = fixed_time();
  options.limits.max_steps = 200000;
  const auto loops = render("{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                            "{% endfor %}{% endfor %}{% endfor %}done",
                            ordered_json::object(), options);
  EXPECT_NE(error_of(loops).find("evaluation steps"), std::string::npos) << error_of(loops);
  options.limits.max_string_bytes = 1 << 20;
  options.limits.max_total_bytes = 16 << 20;
  const auto doubling = render("{% set ns = namespace(s='x') %}{% for i in range(200) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                               ordered_json::object(), options);
  EXPECT_NE(error_of(doubling).find("limit"), std::string::npos) << error_of(doubling);
  const auto joined = render("{% set ns = namespace(s='x', a=[]) %}{% for i in range(19) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                             "{% for i in range(64) %}{% set ns.a = ns.a + [ns.s] %}{% endfor %}{{ ns.a | join }}",
                             ordered_json::object(), options);
  EXPECT_NE(error_of(joined).find("limit"), std::string::npos) << error_of(joined);
  const auto lists = render("{% set ns = namespace(a=[1]) %}{% for i in range(200) %}{% set ns.a = ns.a + ns.a %}{% endfor %}",
                            ordered_json::object(), options);
  EXPECT_NE(error_of(lists).find("bytes"), std::string::npos) << error_of(lists);
  EXPECT_FALSE(render("{{ range(1000000000000) | length }}").is_ok());
  // A namespace holding itself: printing it would never end; it fails instead.
  EXPECT_FALSE(render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}").is_ok());
}

TEST(ChatTemplate, RendersFromManyThreadsAtOnce) {
  auto t = ChatTemplate::parse(template_text("Qwen-Qwen3.jinja"));
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  ordered_json messages;
  for (const Conversation& c : conversations()) {
    if (c.name == "parallel tool calls") messages = c.messages;
  }
  const ordered_json ctx = {{"messages", messages}, {"tools", tools()}, {"add_generation_prompt", true}};
  const auto expected = t->render(ctx);
  ASSERT_TRUE(expected.is_ok()) << expected.status().message();
  std::vector<std::thread> threads;
  std::vector<int> mismatches(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) {
        const auto r = t->render(ctx);
        if (!r.is_ok() || *r != *expected) ++mismatches[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(mismatches[i], 0) << "thread " << i;
}

}  // namespace
}  // namespace turbine
