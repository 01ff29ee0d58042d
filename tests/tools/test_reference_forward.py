#!/usr/bin/python3
"""Self-test of reference_forward.py: internal consistency on tiny random models, and
(when node and node-llama-cpp are installed here) agreement with llama.cpp on the same
weights written as GGUF by make_tiny_gguf.py.

  /usr/bin/python3 tests/tools/test_reference_forward.py      # exit 0 = all passed

Set TURBINE_SKIP_LLAMA_CPP=1 to skip the llama.cpp cross-check.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_forward as rf  # noqa: E402

REF = os.path.join(HERE, "reference_forward.py")
TMP = tempfile.mkdtemp(prefix="turbine_ref_test_")


# ----------------------------------------------------------------------------- model dirs

def write_safetensors(path, tensors, dtype="F32"):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        a = np.asarray(arr, dtype=np.float32)
        if dtype == "F32":
            b = a.astype("<f4").tobytes()
        elif dtype == "F16":
            b = a.astype("<f2").tobytes()
        elif dtype == "BF16":
            b = (a.view(np.uint32) >> 16).astype("<u2").tobytes()  # truncation
        else:
            raise ValueError(dtype)
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def base_config(arch="LlamaForCausalLM", **kw):
    c = {
        "architectures": [arch],
        "hidden_size": 32,
        "intermediate_size": 48,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 50,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "max_position_embeddings": 512,
        "hidden_act": "silu",
        "tie_word_embeddings": False,
    }
    c.update(kw)
    return c


def random_weights(cfg, seed=0, qkv_bias=False, qk_norm=False):
    rng = np.random.default_rng(seed)
    H, F, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh

    def r(*s, scale=1.0):
        return (rng.standard_normal(s) * scale).astype(np.float32)

    w = {"model.embed_tokens.weight": r(V, H)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1 + r(H, scale=0.1)
        w[p + "post_attention_layernorm.weight"] = 1 + r(H, scale=0.1)
        w[p + "self_attn.q_proj.weight"] = r(nh * hd, H, scale=2 / np.sqrt(H))
        w[p + "self_attn.k_proj.weight"] = r(nkv * hd, H, scale=2 / np.sqrt(H))
        w[p + "self_attn.v_proj.weight"] = r(nkv * hd, H, scale=1 / np.sqrt(H))
        w[p + "self_attn.o_proj.weight"] = r(H, nh * hd, scale=1 / np.sqrt(nh * hd))
        if qkv_bias:
            w[p + "self_attn.q_proj.bias"] = r(nh * hd, scale=0.5)
            w[p + "self_attn.k_proj.bias"] = r(nkv * hd, scale=0.5)
            w[p + "self_attn.v_proj.bias"] = r(nkv * hd, scale=0.5)
        if qk_norm:
            w[p + "self_attn.q_norm.weight"] = 1 + r(hd, scale=0.2)
            w[p + "self_attn.k_norm.weight"] = 1 + r(hd, scale=0.2)
        w[p + "mlp.gate_proj.weight"] = r(F, H, scale=1 / np.sqrt(H))
        w[p + "mlp.up_proj.weight"] = r(F, H, scale=1 / np.sqrt(H))
        w[p + "mlp.down_proj.weight"] = r(H, F, scale=1 / np.sqrt(F))
    w["model.norm.weight"] = 1 + r(H, scale=0.1)
    if not cfg.get("tie_word_embeddings"):
        w["lm_head.weight"] = r(V, H, scale=2 / np.sqrt(H))
    return w


_n = [0]


def model_dir(cfg, weights, dtype="F32", shards=0):
    _n[0] += 1
    d = os.path.join(TMP, f"m{_n[0]}")
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    if shards:
        names = list(weights)
        parts = [names[i::shards] for i in range(shards)]
        wm = {}
        for k, part in enumerate(parts):
            fn = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            write_safetensors(os.path.join(d, fn), {n: weights[n] for n in part}, dtype)
            for n in part:
                wm[n] = fn
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": wm}, f)
    else:
        write_safetensors(os.path.join(d, "model.safetensors"), weights, dtype)
    return d


def logits(d, tokens, all_positions=True, dtype=np.float64):
    m = rf.Model(d, dtype)
    pos = list(range(len(tokens))) if all_positions else [len(tokens) - 1]
    return m.forward(tokens, pos)


def cli(d, tokens, all_positions=False, extra=()):
    cmd = [sys.executable, REF, d, "--tokens", ",".join(map(str, tokens))] + list(extra)
    if all_positions:
        cmd.append("--all-positions")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return np.array(json.loads(out)["logits"])


def close(a, b, tol, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} vs {b.shape}"
    err = float(np.abs(a - b).max())
    assert err <= tol, f"{what}: max abs diff {err:.3g} > {tol:.3g}"
    print(f"ok  {what}: max abs diff {err:.3g}")
    return err


def differ(a, b, what, min_diff=1e-3):
    err = float(np.abs(np.asarray(a) - np.asarray(b)).max())
    assert err > min_diff, f"{what}: expected a difference, got {err:.3g}"
    print(f"ok  {what}: differs by {err:.3g} (as it must)")


TOKS = [3, 17, 42, 0, 9, 9, 25, 49, 1, 30, 12, 7]


# ----------------------------------------------------------------------------- tests

def test_causality():
    """(a) all-positions logits at i == last-position logits of the prefix [0..i]."""
    for arch, kw in [("LlamaForCausalLM", {}), ("Qwen2ForCausalLM", {"qkv_bias": True}),
                     ("Qwen3ForCausalLM", {"qk_norm": True})]:
        cfg = base_config(arch, head_dim=12) if arch == "Qwen3ForCausalLM" else base_config(arch)
        d = model_dir(cfg, random_weights(cfg, 1, **kw))
        if arch == "LlamaForCausalLM":  # through the CLI and its JSON once
            full = cli(d, TOKS, all_positions=True)
            last = cli(d, TOKS)
            close(full[-1:], last, 0, f"{arch} CLI last == all-positions[-1]")
            pref = np.concatenate([cli(d, TOKS[:i + 1]) for i in range(len(TOKS))])
        else:
            full = logits(d, TOKS)
            pref = np.concatenate([logits(d, TOKS[:i + 1], all_positions=False) for i in range(len(TOKS))])
        close(full, pref, 1e-10, f"{arch} causality (prefix logits)")


def duplicate_kv(cfg, w):
    """The same model as MHA: every K/V head repeated n_heads/n_kv times (repeat_kv order)."""
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or cfg["hidden_size"] // nh
    rep = nh // nkv
    w2 = dict(w)
    for n, a in w.items():
        if any(s in n for s in ("k_proj", "v_proj")):
            a = a.reshape(nkv, hd, *a.shape[1:])
            w2[n] = np.repeat(a, rep, axis=0).reshape(nh * hd, *a.shape[2:])
    cfg2 = dict(cfg, num_key_value_heads=nh)
    return cfg2, w2


def test_gqa_equals_mha():
    """(b) a GQA model == the MHA model with K/V heads duplicated."""
    for arch, kw, extra in [("LlamaForCausalLM", {}, {}),
                            ("LlamaForCausalLM", {}, {"num_attention_heads": 8, "num_key_value_heads": 1,
                                                      "head_dim": 4}),
                            ("Qwen2ForCausalLM", {"qkv_bias": True}, {}),
                            ("Qwen3ForCausalLM", {"qk_norm": True}, {"head_dim": 16})]:
        cfg = base_config(arch, **extra)
        w = random_weights(cfg, 2, **kw)
        cfg2, w2 = duplicate_kv(cfg, w)
        a = logits(model_dir(cfg, w), TOKS)
        b = logits(model_dir(cfg2, w2), TOKS)
        close(a, b, 1e-10, f"{arch} {cfg['num_attention_heads']}q/{cfg['num_key_value_heads']}kv GQA == MHA")


def test_llama3_rope():
    """(c) llama3 rope scaling: trivial settings == none; each band against its closed form."""
    cfg = base_config()
    w = random_weights(cfg, 3)
    none = logits(model_dir(cfg, w), TOKS)
    triv = dict(cfg, rope_scaling={"rope_type": "llama3", "factor": 1.0, "low_freq_factor": 1.0,
                                   "high_freq_factor": 4.0, "original_max_position_embeddings": 512})
    close(logits(model_dir(triv, w), TOKS), none, 1e-12, "llama3 factor 1 == no scaling")
    # original context so long that every wavelength is "high frequency": kept as is.
    keep = dict(cfg, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                   "high_freq_factor": 4.0, "original_max_position_embeddings": 10 ** 9})
    close(logits(model_dir(keep, w), TOKS), none, 1e-12, "llama3 all-high-frequency == no scaling")
    # original context so short that every wavelength is "low frequency": divided by factor.
    div = dict(cfg, rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 1})
    lin = dict(cfg, rope_scaling={"type": "linear", "factor": 8.0})  # legacy "type" key
    a = logits(model_dir(div, w), TOKS)
    close(a, logits(model_dir(lin, w), TOKS), 1e-12, "llama3 all-low-frequency == linear factor 8")
    differ(a, none, "linear factor 8 vs no scaling")
    # the smoothed band against the formula written out by hand
    c = rf.Config(dict(cfg, head_dim=64, rope_theta=500000.0, rope_scaling={
        "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192}))
    inv, _ = rf.rope_inv_freq(c, 10)
    base = 1.0 / (500000.0 ** (np.arange(0, 64, 2) / 64))
    expect = []
    for f in base:
        wl = 2 * np.pi / f
        if wl < 8192 / 4:
            expect.append(f)
        elif wl > 8192 / 1:
            expect.append(f / 8)
        else:
            s = (8192 / wl - 1) / (4 - 1)
            expect.append((1 - s) * f / 8 + s * f)
    bands = (2 * np.pi / base < 2048).sum(), ((2 * np.pi / base >= 2048) & (2 * np.pi / base <= 8192)).sum()
    assert bands[0] > 0 and bands[1] > 0, bands
    close(inv, expect, 1e-18, f"llama3 inv_freq (Llama 3.1 settings, {bands[1]} smoothed)")


def test_qwen2_zero_bias_equals_llama():
    """(d) Qwen2 with zero q/k/v biases == Llama with the same weights; Mistral == Llama."""
    cfg = base_config()
    w = random_weights(cfg, 4)
    llama = logits(model_dir(cfg, w), TOKS)
    wq = dict(w)
    for n in list(w):
        if n.endswith(("q_proj.weight", "k_proj.weight", "v_proj.weight")):
            wq[n[:-len("weight")] + "bias"] = np.zeros(w[n].shape[0], np.float32)
    q = logits(model_dir(dict(cfg, architectures=["Qwen2ForCausalLM"]), wq), TOKS)
    close(q, llama, 1e-12, "Qwen2 zero bias == Llama")
    wq2 = {n: (a + 0.3 if n.endswith(".bias") else a) for n, a in wq.items()}
    differ(logits(model_dir(dict(cfg, architectures=["Qwen2ForCausalLM"]), wq2), TOKS), llama,
           "Qwen2 nonzero bias vs Llama")
    m = logits(model_dir(dict(cfg, architectures=["MistralForCausalLM"], sliding_window=None), w), TOKS)
    close(m, llama, 1e-12, "Mistral (no sliding window) == Llama")
    # Qwen3 with unit q_norm/k_norm is not Llama (it normalizes), but must differ from it.
    wn = dict(w)
    for i in range(cfg["num_hidden_layers"]):
        for k in ("q_norm", "k_norm"):
            wn[f"model.layers.{i}.self_attn.{k}.weight"] = np.ones(cfg["hidden_size"] // cfg["num_attention_heads"],
                                                                   np.float32)
    differ(logits(model_dir(dict(cfg, architectures=["Qwen3ForCausalLM"]), wn), TOKS), llama, "Qwen3 vs Llama")


def test_sliding_window():
    """One layer, window W: position i sees tokens i-W+1..i, and RoPE is relative, so its
    logits equal the last logits of that window evaluated from position 0."""
    W = 4
    cfg = base_config("MistralForCausalLM", num_hidden_layers=1, sliding_window=W)
    d = model_dir(cfg, random_weights(cfg, 5))
    full = logits(d, TOKS)
    win = np.concatenate([logits(d, TOKS[max(0, i - W + 1):i + 1], all_positions=False)
                          for i in range(len(TOKS))])
    close(full, win, 1e-9, "Mistral sliding window 4 == windowed prefixes")
    cfg_full = dict(cfg, sliding_window=None)
    differ(logits(model_dir(cfg_full, random_weights(cfg, 5)), TOKS), full, "no window vs window 4")


def test_storage():
    """tied embeddings, F16/BF16 storage, sharded checkpoints, float32 compute."""
    cfg = base_config(tie_word_embeddings=True)
    w = random_weights(cfg, 6)
    tied = logits(model_dir(cfg, w), TOKS)
    w2 = dict(w, **{"lm_head.weight": w["model.embed_tokens.weight"]})
    close(tied, logits(model_dir(dict(cfg, tie_word_embeddings=False), w2), TOKS), 0, "tied == explicit lm_head")

    cfg = base_config()
    w = random_weights(cfg, 7)
    f16 = {n: a.astype(np.float16).astype(np.float32) for n, a in w.items()}
    close(logits(model_dir(cfg, w, "F16"), TOKS), logits(model_dir(cfg, f16), TOKS), 0, "F16 storage")
    bf16 = {n: ((a.view(np.uint32) >> 16) << 16).view(np.float32) for n, a in w.items()}
    close(logits(model_dir(cfg, w, "BF16"), TOKS), logits(model_dir(cfg, bf16), TOKS), 0, "BF16 storage")
    ref = logits(model_dir(cfg, w), TOKS)
    close(logits(model_dir(cfg, w, shards=3), TOKS), ref, 0, "3 shards == one file")
    close(logits(model_dir(cfg, w), TOKS, dtype=np.float32), ref, 1e-4, "float32 compute ~ float64")


def test_llama_cpp():
    """Same random weights as GGUF (make_tiny_gguf.py) through llama.cpp (llama_cpp_logits.mjs)."""
    if os.environ.get("TURBINE_SKIP_LLAMA_CPP"):
        print("skip llama.cpp cross-check (TURBINE_SKIP_LLAMA_CPP)")
        return
    node = shutil.which("node")
    if node is None or not os.path.isdir(os.path.join(HERE, "node_modules", "node-llama-cpp")):
        print("skip llama.cpp cross-check (no node or node_modules/node-llama-cpp)")
        return
    rng = np.random.default_rng(8)
    toks = [int(t) for t in rng.integers(0, 263, 24)]
    for spec in (["--arch", "llama"], ["--arch", "llama", "--llama3-rope"],
                 ["--arch", "llama", "--tied", "--kv-heads", "1"],
                 ["--arch", "qwen2"], ["--arch", "qwen3", "--head-dim", "24"]):
        _n[0] += 1
        d = os.path.join(TMP, f"g{_n[0]}")
        subprocess.run([sys.executable, os.path.join(HERE, "make_tiny_gguf.py"), d] + spec,
                       check=True, capture_output=True)
        ours = cli(os.path.join(d, "hf"), toks, all_positions=True)
        out = subprocess.run([node, os.path.join(HERE, "llama_cpp_logits.mjs"), os.path.join(d, "model.gguf"),
                              "--tokens", ",".join(map(str, toks)), "--all-positions", "--kv", "f32"],
                             check=True, capture_output=True, text=True).stdout
        theirs = np.array(json.loads(out)["logits"])
        # llama.cpp computes in float32; 1e-4 leaves ~10x headroom over what is observed.
        close(ours, theirs, 1e-4 * max(1.0, float(np.abs(ours).max()) / 10), "llama.cpp " + " ".join(spec))


def main():
    try:
        for t in (test_causality, test_gqa_equals_mha, test_llama3_rope, test_qwen2_zero_bias_equals_llama,
                  test_sliding_window, test_storage, test_llama_cpp):
            print(f"--- {t.__name__}")
            t()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
