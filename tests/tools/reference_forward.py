#!/usr/bin/python3
"""Independent NumPy reference forward pass for Hugging Face decoder-only LLMs.

turbine's tests run this as a subprocess and compare its logits with the engine's.
It depends on nothing but NumPy (Debian's python3-numpy) and follows the semantics
of Hugging Face transformers' modeling_llama / modeling_mistral / modeling_qwen2 /
modeling_qwen3:

  * embed -> N x [x + attn(rmsnorm(x)); x + mlp(rmsnorm(x))] -> rmsnorm -> lm_head
  * RMSNorm: x * 1/sqrt(mean(x^2) + eps) * weight
  * RoPE in the "rotate_half" (GPT-NeoX) layout, inv_freq = 1 / theta^(2i/d),
    with rope_scaling types default / linear / llama3 (and dynamic within
    max_position_embeddings, where it equals default)
  * Qwen3: RMSNorm over head_dim on every q and k head before RoPE
  * Qwen2 (and any model whose checkpoint has them): q/k/v (and o / mlp) biases
  * GQA by repeating K/V heads (repeat_kv), causal softmax attention with scale
    1/sqrt(head_dim), optional sliding window (Mistral sliding_window; Qwen2/3
    use_sliding_window for layers >= max_window_layers): key k is visible from query q
    when q - W < k <= q, as in current transformers' masking_utils
  * SiLU-gated MLP: down(silu(gate(x)) * up(x))
  * tie_word_embeddings (or a checkpoint without lm_head.weight) -> lm_head = embed

Arithmetic is float64 by default (--dtype float32 to compute in float32); weights
are read as F32 / F16 / BF16 from safetensors, widened exactly, and converted one
matrix at a time so that large checkpoints do not need a float64 copy in memory.
Note that HF itself computes RoPE angles in float32 (here float64), and runs a BF16
checkpoint in bfloat16 unless told otherwise: these logits are the high-precision
values that both should approximate.

CLI:
  reference_forward.py MODEL_DIR --tokens 1,2,3 [--all-positions] [--dtype float64|float32]
                       [--out FILE]
prints JSON {"logits": [[...], ...], "positions": [...], "dtype": "..."}: one list of
vocab_size floats per requested position (the last one, or all with --all-positions).
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

# ----------------------------------------------------------------------------- safetensors

_ST_DTYPES = {
    "F64": "<f8",
    "F32": "<f4",
    "F16": "<f2",
    "BF16": "<u2",  # widened to float32 by hand
    "I64": "<i8",
    "I32": "<i4",
    "I16": "<i2",
    "I8": "i1",
    "U8": "u1",
    "BOOL": "?",
}


class SafetensorsFile:
    """One .safetensors file, parsed by hand and memory-mapped."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) != 8:
                raise ValueError(f"{path}: too short for a safetensors header")
            (n,) = struct.unpack("<Q", raw)
            size = os.fstat(f.fileno()).st_size
            if n > size - 8:
                raise ValueError(f"{path}: header length {n} exceeds the file size {size}")
            header = json.loads(f.read(n).decode("utf-8"))
        header.pop("__metadata__", None)
        self.header = header
        self.data_start = 8 + n
        self.mm = np.memmap(path, dtype=np.uint8, mode="r")

    def names(self):
        return list(self.header.keys())

    def stored(self, name):
        """The tensor as stored, memory-mapped (BF16 comes back as its uint16 bits)."""
        info = self.header[name]
        dt = info["dtype"]
        if dt not in _ST_DTYPES:
            raise ValueError(f"{self.path}: tensor {name}: unsupported dtype {dt}")
        shape = tuple(int(s) for s in info["shape"])
        begin, end = (int(v) for v in info["data_offsets"])
        npdt = np.dtype(_ST_DTYPES[dt])
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * npdt.itemsize:
            raise ValueError(f"{self.path}: tensor {name}: data_offsets span {end - begin} bytes, "
                             f"shape {shape} x {dt} needs {count * npdt.itemsize}")
        arr = np.frombuffer(self.mm, dtype=npdt, count=count, offset=self.data_start + begin)
        return arr.reshape(shape), dt == "BF16"


def widen(arr, is_bf16, dtype):
    """Convert a stored tensor (or a slice of it) to `dtype`; BF16 bits -> float32 exactly."""
    if is_bf16:
        arr = (np.asarray(arr).astype(np.uint32) << 16).view(np.float32)
    return np.asarray(arr, dtype=dtype)


class Checkpoint:
    """All tensors of a HF model directory (single file or sharded with an index)."""

    def __init__(self, model_dir):
        single = os.path.join(model_dir, "model.safetensors")
        index = os.path.join(model_dir, "model.safetensors.index.json")
        self.where = {}
        files = {}
        if os.path.exists(index):
            with open(index) as f:
                wm = json.load(f)["weight_map"]
            for name, fn in wm.items():
                if fn not in files:
                    files[fn] = SafetensorsFile(os.path.join(model_dir, fn))
                self.where[name] = files[fn]
        elif os.path.exists(single):
            st = SafetensorsFile(single)
            for name in st.names():
                self.where[name] = st
        else:
            raise FileNotFoundError(f"{model_dir}: no model.safetensors or model.safetensors.index.json")

    def has(self, name):
        return name in self.where

    def get(self, name, dtype):
        if name not in self.where:
            raise KeyError(f"tensor {name} not found in checkpoint")
        arr, bf16 = self.where[name].stored(name)
        return widen(arr, bf16, dtype)

    def stored(self, name):
        if name not in self.where:
            raise KeyError(f"tensor {name} not found in checkpoint")
        return self.where[name].stored(name)


# ----------------------------------------------------------------------------- config

SUPPORTED = {"LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM"}


class Config:
    def __init__(self, cfg):
        archs = cfg.get("architectures") or []
        arch = archs[0] if archs else None
        if arch not in SUPPORTED:
            raise ValueError(f"unsupported architecture {arch!r}; supported: {sorted(SUPPORTED)}")
        self.arch = arch
        self.hidden = int(cfg["hidden_size"])
        self.n_layers = int(cfg["num_hidden_layers"])
        self.n_heads = int(cfg["num_attention_heads"])
        self.n_kv = int(cfg.get("num_key_value_heads") or self.n_heads)
        hd = cfg.get("head_dim")
        self.head_dim = int(hd) if hd else self.hidden // self.n_heads
        self.intermediate = int(cfg["intermediate_size"])
        self.vocab = int(cfg["vocab_size"])
        self.eps = float(cfg.get("rms_norm_eps", 1e-6))
        self.theta = float(cfg.get("rope_theta", 10000.0))
        self.max_pos = int(cfg.get("max_position_embeddings", 2048))
        self.rope_scaling = cfg.get("rope_scaling")
        self.tie = bool(cfg.get("tie_word_embeddings", False))
        act = cfg.get("hidden_act", "silu")
        if act not in ("silu", "swish"):
            raise ValueError(f"unsupported hidden_act {act!r}")
        prf = cfg.get("partial_rotary_factor", 1.0)
        if prf not in (None, 1, 1.0):
            raise ValueError(f"unsupported partial_rotary_factor {prf}")
        if self.n_heads % self.n_kv:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        self.qk_norm = arch == "Qwen3ForCausalLM"
        # Sliding window per layer (None = full attention).
        self.windows = [None] * self.n_layers
        sw = cfg.get("sliding_window")
        if arch == "MistralForCausalLM":
            if sw:
                self.windows = [int(sw)] * self.n_layers
        elif arch in ("Qwen2ForCausalLM", "Qwen3ForCausalLM"):
            if cfg.get("use_sliding_window", False) and sw:
                layer_types = cfg.get("layer_types")
                mwl = int(cfg.get("max_window_layers", self.n_layers))
                for i in range(self.n_layers):
                    if layer_types is not None:
                        sliding = layer_types[i] == "sliding_attention"
                    else:
                        sliding = i >= mwl
                    if sliding:
                        self.windows[i] = int(sw)


# ----------------------------------------------------------------------------- RoPE

def rope_inv_freq(cfg, n_tokens):
    """inv_freq (head_dim/2,) and the attention scaling of cos/sin, float64."""
    d = cfg.head_dim
    inv = 1.0 / (cfg.theta ** (np.arange(0, d, 2, dtype=np.float64) / d))
    rs = cfg.rope_scaling
    if not rs:
        return inv, 1.0
    rtype = rs.get("rope_type", rs.get("type", "default"))
    if rtype == "default":
        return inv, 1.0
    if rtype == "linear":
        return inv / float(rs["factor"]), 1.0
    if rtype == "dynamic":
        if n_tokens > cfg.max_pos:
            raise ValueError("dynamic rope scaling beyond max_position_embeddings is not implemented")
        return inv, 1.0
    if rtype == "llama3":
        factor = float(rs["factor"])
        low = float(rs["low_freq_factor"])
        high = float(rs["high_freq_factor"])
        old = float(rs["original_max_position_embeddings"])
        low_wavelen = old / low
        high_wavelen = old / high
        wavelen = 2.0 * math.pi / inv
        out = np.where(wavelen > low_wavelen, inv / factor, inv)
        if high != low:
            smooth = (old / wavelen - low) / (high - low)
        else:
            smooth = np.zeros_like(inv)
        smoothed = (1.0 - smooth) * out / factor + smooth * out
        medium = (~(wavelen < high_wavelen)) & (~(wavelen > low_wavelen))
        out = np.where(medium, smoothed, out)
        return out, 1.0
    raise ValueError(f"unsupported rope_scaling type {rtype!r}")


def rope_cos_sin(cfg, n_tokens, dtype):
    inv, attn_scale = rope_inv_freq(cfg, n_tokens)
    pos = np.arange(n_tokens, dtype=np.float64)
    freqs = np.outer(pos, inv)                       # (T, d/2)
    emb = np.concatenate([freqs, freqs], axis=-1)    # (T, d)
    return (np.cos(emb) * attn_scale).astype(dtype), (np.sin(emb) * attn_scale).astype(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def apply_rope(x, cos, sin):
    # x: (heads, T, d); cos/sin: (T, d)
    return x * cos[None] + rotate_half(x) * sin[None]


# ----------------------------------------------------------------------------- model

class Model:
    def __init__(self, model_dir, dtype=np.float64):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = Config(json.load(f))
        self.ck = Checkpoint(model_dir)
        self.dtype = np.dtype(dtype)
        self.prefix = "model." if self.ck.has("model.embed_tokens.weight") else ""
        if not self.ck.has(self.prefix + "embed_tokens.weight"):
            raise KeyError("embed_tokens.weight not found")

    def w(self, name):
        return self.ck.get(self.prefix + name, self.dtype)

    def linear(self, x, name):
        """x @ W^T (+ b) for the HF Linear `name` (without .weight)."""
        full = self.prefix + name
        W, bf16 = self.ck.stored(full + ".weight")
        out_dim = W.shape[0]
        # Convert in row chunks so a huge lm_head never becomes one float64 copy.
        chunk = max(1, (1 << 24) // max(1, W.shape[1]))
        if out_dim <= chunk:
            y = x @ widen(W, bf16, self.dtype).T
        else:
            y = np.empty((x.shape[0], out_dim), dtype=self.dtype)
            for s in range(0, out_dim, chunk):
                e = min(out_dim, s + chunk)
                y[:, s:e] = x @ widen(W[s:e], bf16, self.dtype).T
        if self.ck.has(full + ".bias"):
            y = y + self.ck.get(full + ".bias", self.dtype)
        return y

    def rmsnorm(self, x, name):
        var = np.mean(x * x, axis=-1, keepdims=True)
        return x / np.sqrt(var + self.cfg.eps) * self.w(name)

    def attention(self, x, i, cos, sin):
        c = self.cfg
        T = x.shape[0]
        p = f"layers.{i}.self_attn."
        q = self.linear(x, p + "q_proj").reshape(T, c.n_heads, c.head_dim).transpose(1, 0, 2)
        k = self.linear(x, p + "k_proj").reshape(T, c.n_kv, c.head_dim).transpose(1, 0, 2)
        v = self.linear(x, p + "v_proj").reshape(T, c.n_kv, c.head_dim).transpose(1, 0, 2)
        if c.qk_norm:
            q = self.rmsnorm(q, p + "q_norm.weight")
            k = self.rmsnorm(k, p + "k_norm.weight")
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        rep = c.n_heads // c.n_kv
        if rep > 1:  # repeat_kv: kv head j serves query heads j*rep .. j*rep+rep-1
            k = np.repeat(k, rep, axis=0)
            v = np.repeat(v, rep, axis=0)
        scores = (q @ k.transpose(0, 2, 1)) * (1.0 / math.sqrt(c.head_dim))  # (H, T, T)
        qi = np.arange(T)[:, None]
        ki = np.arange(T)[None, :]
        allowed = ki <= qi
        if c.windows[i] is not None:
            allowed &= (qi - ki) < c.windows[i]
        scores = np.where(allowed[None], scores, -np.inf)
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        out = (probs.astype(self.dtype) @ v).transpose(1, 0, 2).reshape(T, c.n_heads * c.head_dim)
        return self.linear(out, p + "o_proj")

    def mlp(self, x, i):
        p = f"layers.{i}.mlp."
        g = self.linear(x, p + "gate_proj")
        u = self.linear(x, p + "up_proj")
        h = g / (1.0 + np.exp(-g)) * u
        return self.linear(h, p + "down_proj")

    def forward(self, tokens, positions=None):
        """Logits (len(positions), vocab) for the given token ids; positions default to all."""
        c = self.cfg
        tokens = np.asarray(tokens, dtype=np.int64)
        T = len(tokens)
        if T == 0:
            raise ValueError("empty token list")
        emb, bf16 = self.ck.stored(self.prefix + "embed_tokens.weight")
        if tokens.min() < 0 or tokens.max() >= emb.shape[0]:
            raise ValueError(f"token id out of range [0, {emb.shape[0]})")
        x = widen(emb[tokens], bf16, self.dtype)
        cos, sin = rope_cos_sin(c, T, self.dtype)
        for i in range(c.n_layers):
            h = x + self.attention(self.rmsnorm(x, f"layers.{i}.input_layernorm.weight"), i, cos, sin)
            x = h + self.mlp(self.rmsnorm(h, f"layers.{i}.post_attention_layernorm.weight"), i)
        if positions is None:
            positions = list(range(T))
        x = self.rmsnorm(x[positions], "norm.weight")
        if c.tie or not self.ck.has("lm_head.weight"):
            return self.linear(x, "embed_tokens")
        saved, self.prefix = self.prefix, ""  # lm_head sits outside the "model." prefix
        try:
            return self.linear(x, "lm_head")
        finally:
            self.prefix = saved


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--all-positions", action="store_true", help="logits of every position, not only the last")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--out", help="write the JSON here instead of stdout")
    a = ap.parse_args(argv)
    try:
        toks = [int(t) for t in a.tokens.split(",") if t.strip() != ""]
    except ValueError:
        ap.error("--tokens must be comma-separated integers")
    if not toks:
        ap.error("--tokens is empty")
    model = Model(a.model_dir, np.float64 if a.dtype == "float64" else np.float32)
    positions = list(range(len(toks))) if a.all_positions else [len(toks) - 1]
    logits = model.forward(toks, positions)
    res = {"logits": [[float(v) for v in row] for row in logits], "positions": positions, "dtype": a.dtype}
    text = json.dumps(res)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
