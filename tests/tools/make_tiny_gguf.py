#!/usr/bin/python3
"""Write one tiny random model twice: as a GGUF v3 file (F32 weights, laid out the way
llama.cpp's convert_hf_to_gguf.py lays them out) and as a Hugging Face directory
(config.json + model.safetensors, F32). Used to cross-check reference_forward.py
(on the HF directory) against llama.cpp (node-llama-cpp, llama_cpp_logits.mjs, on the
GGUF): both must give the same logits for the same token ids.

  make_tiny_gguf.py OUT_DIR [--arch llama|qwen2|qwen3] [--llama3-rope] [--tied]
                    [--seed N] [--layers N] [--hidden N] [--heads N] [--kv-heads N]
                    [--head-dim N] [--ffn N]

writes OUT_DIR/model.gguf and OUT_DIR/hf/{config.json, model.safetensors}.

Conversion rules mirrored from convert_hf_to_gguf.py:
  * llama: attn_q / attn_k rows permuted (LlamaModel.permute: reshape(n_head, 2, head_dim/2,
    hidden).swapaxes(1, 2)) because llama.cpp applies RoPE to adjacent pairs while HF rotates
    halves; qwen2 / qwen3 use NeoX RoPE in llama.cpp and are written unpermuted.
  * llama3 rope scaling -> a rope_freqs.weight tensor of per-frequency divisors.
  * a tied model has no output.weight (llama.cpp falls back to token_embd.weight).
The tokenizer is a minimal byte-level "gpt2" BPE vocabulary (256 byte tokens, a few
merges, <|bos|> / <|endoftext|> control tokens); the tests feed token ids, never text.
"""
import argparse
import json
import math
import os
import struct

import numpy as np

# ----------------------------------------------------------------------------- safetensors


def write_safetensors(path, tensors):
    """tensors: dict name -> float32 ndarray. Writes F32 safetensors."""
    header = {}
    blobs = []
    off = 0
    for name, arr in tensors.items():
        a = np.ascontiguousarray(arr, dtype="<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ----------------------------------------------------------------------------- GGUF

GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY, GGUF_UINT64 = 4, 5, 6, 7, 8, 9, 10
GGML_F32 = 0
ALIGN = 32


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _kv(key, vtype, value):
    out = _str(key) + struct.pack("<I", vtype)
    if vtype == GGUF_UINT32:
        out += struct.pack("<I", value)
    elif vtype == GGUF_INT32:
        out += struct.pack("<i", value)
    elif vtype == GGUF_FLOAT32:
        out += struct.pack("<f", value)
    elif vtype == GGUF_BOOL:
        out += struct.pack("<B", 1 if value else 0)
    elif vtype == GGUF_STRING:
        out += _str(value)
    elif vtype == GGUF_UINT64:
        out += struct.pack("<Q", value)
    elif vtype == GGUF_ARRAY:
        etype, items = value
        out += struct.pack("<IQ", etype, len(items))
        for it in items:
            if etype == GGUF_STRING:
                out += _str(it)
            elif etype == GGUF_INT32:
                out += struct.pack("<i", it)
            elif etype == GGUF_FLOAT32:
                out += struct.pack("<f", it)
            else:
                raise ValueError(etype)
    else:
        raise ValueError(vtype)
    return out


def write_gguf(path, kvs, tensors):
    """kvs: list of (key, type, value); tensors: list of (name, float32 ndarray)."""
    out = bytearray(b"GGUF")
    out += struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for k, t, v in kvs:
        out += _kv(k, t, v)
    off = 0
    datas = []
    for name, arr in tensors:
        a = np.ascontiguousarray(arr, dtype="<f4")
        out += _str(name)
        out += struct.pack("<I", a.ndim)
        for d in reversed(a.shape):  # ne[0] is the innermost (contiguous) dimension
            out += struct.pack("<Q", d)
        out += struct.pack("<IQ", GGML_F32, off)
        b = a.tobytes()
        datas.append((off, b))
        off += len(b)
        off += (ALIGN - off % ALIGN) % ALIGN
    out += b"\0" * ((ALIGN - len(out) % ALIGN) % ALIGN)
    base = len(out)
    for o, b in datas:
        out += b"\0" * (base + o - len(out))
        out += b
    with open(path, "wb") as f:
        f.write(out)


def gpt2_byte_tokens():
    """GPT-2's bytes_to_unicode, in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    m = dict(zip(bs, cs))
    return [chr(m[b]) for b in range(256)]


def tiny_vocab():
    toks = gpt2_byte_tokens()
    merges = ["Ġ t", "h e", "Ġ a", "i n", "Ġt he"]
    toks += ["Ġt", "he", "Ġa", "in", "Ġthe"]
    types = [1] * len(toks)
    toks += ["<|bos|>", "<|endoftext|>"]
    types += [3, 3]
    return toks, types, merges


# ----------------------------------------------------------------------------- model


def permute(w, n_head, n_head_kv=None):
    """convert_hf_to_gguf.py LlamaModel.permute."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def llama3_rope_factors(theta, head_dim, rs):
    """convert_hf_to_gguf.py LlamaModel.generate_extra_tensors (rope_freqs)."""
    freqs = 1.0 / (theta ** (np.arange(0, head_dim, 2, dtype=np.float32) / head_dim))
    factor = rs["factor"]
    low, high = rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / low, old / high
    out = []
    for f in freqs:
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def build(args):
    rng = np.random.default_rng(args.seed)
    toks, types, merges = tiny_vocab()
    V = len(toks)
    H, L, nh, nkv, F = args.hidden, args.layers, args.heads, args.kv_heads, args.ffn
    hd = args.head_dim or H // nh
    theta = 500000.0 if args.llama3_rope else 10000.0
    eps = 1e-5 if args.arch == "llama" else 1e-6
    arch_name = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}[args.arch]
    cfg = {
        "architectures": [arch_name],
        "model_type": args.arch,
        "hidden_size": H,
        "intermediate_size": F,
        "num_hidden_layers": L,
        "num_attention_heads": nh,
        "num_key_value_heads": nkv,
        "head_dim": hd,
        "vocab_size": V,
        "rms_norm_eps": eps,
        "rope_theta": theta,
        "max_position_embeddings": 4096,
        "hidden_act": "silu",
        "tie_word_embeddings": bool(args.tied),
        "bos_token_id": V - 2,
        "eos_token_id": V - 1,
        "torch_dtype": "float32",
    }
    rs = None
    if args.llama3_rope:
        # A tiny original context so that all three frequency bands (kept, smoothed,
        # divided) occur with a small head_dim.
        rs = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
              "high_freq_factor": 4.0, "original_max_position_embeddings": 64}
        cfg["rope_scaling"] = rs

    def rnd(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    hf = {"model.embed_tokens.weight": rnd(V, H)}
    for i in range(L):
        p = f"model.layers.{i}."
        hf[p + "input_layernorm.weight"] = 1.0 + rnd(H, scale=0.1)
        hf[p + "post_attention_layernorm.weight"] = 1.0 + rnd(H, scale=0.1)
        hf[p + "self_attn.q_proj.weight"] = rnd(nh * hd, H, scale=1.5 / math.sqrt(H))
        hf[p + "self_attn.k_proj.weight"] = rnd(nkv * hd, H, scale=1.5 / math.sqrt(H))
        hf[p + "self_attn.v_proj.weight"] = rnd(nkv * hd, H, scale=1.0 / math.sqrt(H))
        hf[p + "self_attn.o_proj.weight"] = rnd(H, nh * hd, scale=1.0 / math.sqrt(nh * hd))
        if args.arch == "qwen2":
            hf[p + "self_attn.q_proj.bias"] = rnd(nh * hd, scale=0.5)
            hf[p + "self_attn.k_proj.bias"] = rnd(nkv * hd, scale=0.5)
            hf[p + "self_attn.v_proj.bias"] = rnd(nkv * hd, scale=0.5)
        if args.arch == "qwen3":
            hf[p + "self_attn.q_norm.weight"] = 1.0 + rnd(hd, scale=0.2)
            hf[p + "self_attn.k_norm.weight"] = 1.0 + rnd(hd, scale=0.2)
        hf[p + "mlp.gate_proj.weight"] = rnd(F, H, scale=1.0 / math.sqrt(H))
        hf[p + "mlp.up_proj.weight"] = rnd(F, H, scale=1.0 / math.sqrt(H))
        hf[p + "mlp.down_proj.weight"] = rnd(H, F, scale=1.0 / math.sqrt(F))
    hf["model.norm.weight"] = 1.0 + rnd(H, scale=0.1)
    if not args.tied:
        hf["lm_head.weight"] = rnd(V, H, scale=2.0 / math.sqrt(H))

    # GGUF
    a = args.arch
    kvs = [
        ("general.architecture", GGUF_STRING, a),
        ("general.name", GGUF_STRING, f"tiny-{a}"),
        ("general.alignment", GGUF_UINT32, ALIGN),
        ("general.file_type", GGUF_UINT32, 0),  # ALL_F32
        (f"{a}.vocab_size", GGUF_UINT32, V),
        (f"{a}.context_length", GGUF_UINT32, cfg["max_position_embeddings"]),
        (f"{a}.embedding_length", GGUF_UINT32, H),
        (f"{a}.block_count", GGUF_UINT32, L),
        (f"{a}.feed_forward_length", GGUF_UINT32, F),
        (f"{a}.rope.dimension_count", GGUF_UINT32, hd),
        (f"{a}.rope.freq_base", GGUF_FLOAT32, theta),
        (f"{a}.attention.head_count", GGUF_UINT32, nh),
        (f"{a}.attention.head_count_kv", GGUF_UINT32, nkv),
        (f"{a}.attention.key_length", GGUF_UINT32, hd),
        (f"{a}.attention.value_length", GGUF_UINT32, hd),
        (f"{a}.attention.layer_norm_rms_epsilon", GGUF_FLOAT32, eps),
        ("tokenizer.ggml.model", GGUF_STRING, "gpt2"),
        ("tokenizer.ggml.pre", GGUF_STRING, "default"),
        ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, toks)),
        ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, types)),
        ("tokenizer.ggml.merges", GGUF_ARRAY, (GGUF_STRING, merges)),
        ("tokenizer.ggml.bos_token_id", GGUF_UINT32, V - 2),
        ("tokenizer.ggml.eos_token_id", GGUF_UINT32, V - 1),
        ("tokenizer.ggml.add_bos_token", GGUF_BOOL, False),
    ]
    g = [("token_embd.weight", hf["model.embed_tokens.weight"])]
    if rs is not None:
        g.append(("rope_freqs.weight", llama3_rope_factors(theta, hd, rs)))
    for i in range(L):
        p = f"model.layers.{i}."
        b = f"blk.{i}."
        q = hf[p + "self_attn.q_proj.weight"]
        k = hf[p + "self_attn.k_proj.weight"]
        if a == "llama":
            q = permute(q, nh, nh)
            k = permute(k, nh, nkv)
        g += [
            (b + "attn_norm.weight", hf[p + "input_layernorm.weight"]),
            (b + "attn_q.weight", q),
            (b + "attn_k.weight", k),
            (b + "attn_v.weight", hf[p + "self_attn.v_proj.weight"]),
            (b + "attn_output.weight", hf[p + "self_attn.o_proj.weight"]),
        ]
        if a == "qwen2":
            g += [
                (b + "attn_q.bias", hf[p + "self_attn.q_proj.bias"]),
                (b + "attn_k.bias", hf[p + "self_attn.k_proj.bias"]),
                (b + "attn_v.bias", hf[p + "self_attn.v_proj.bias"]),
            ]
        if a == "qwen3":
            g += [
                (b + "attn_q_norm.weight", hf[p + "self_attn.q_norm.weight"]),
                (b + "attn_k_norm.weight", hf[p + "self_attn.k_norm.weight"]),
            ]
        g += [
            (b + "ffn_norm.weight", hf[p + "post_attention_layernorm.weight"]),
            (b + "ffn_gate.weight", hf[p + "mlp.gate_proj.weight"]),
            (b + "ffn_up.weight", hf[p + "mlp.up_proj.weight"]),
            (b + "ffn_down.weight", hf[p + "mlp.down_proj.weight"]),
        ]
    g.append(("output_norm.weight", hf["model.norm.weight"]))
    if not args.tied:
        g.append(("output.weight", hf["lm_head.weight"]))
    return cfg, hf, kvs, g


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--arch", choices=["llama", "qwen2", "qwen3"], default="llama")
    ap.add_argument("--llama3-rope", action="store_true", help="llama3 rope_scaling (llama only)")
    ap.add_argument("--tied", action="store_true", help="tie_word_embeddings, no output.weight")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=0, help="default hidden/heads")
    ap.add_argument("--ffn", type=int, default=128)
    args = ap.parse_args(argv)
    if args.llama3_rope and args.arch != "llama":
        ap.error("--llama3-rope is for --arch llama")
    cfg, hf, kvs, g = build(args)
    os.makedirs(os.path.join(args.out_dir, "hf"), exist_ok=True)
    with open(os.path.join(args.out_dir, "hf", "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    write_safetensors(os.path.join(args.out_dir, "hf", "model.safetensors"), hf)
    write_gguf(os.path.join(args.out_dir, "model.gguf"), kvs, g)
    print(os.path.join(args.out_dir, "model.gguf"))


if __name__ == "__main__":
    main()
