"""Reading GGUF files into llmcli's names: tiny files written here with the `gguf` package's
own writer, the way llama.cpp's converter writes them (q and k rows permuted for Llama, GPT-2's
output written as a copy of the embedding), read back and compared with the weights they were
written from; each quantization against the `gguf` package's reference; the bad files; and the
real SmolLM2 file against transformers' own GGUF loading."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pretrained_files import smollm2_gguf

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as Q  # noqa: E402

from llmcli.pretrained.gguf_weights import GGUFError, read_gguf  # noqa: E402

SHAPE = dict(vocab=48, n_layer=2, n_embd=32, n_head=4, n_kv_head=2, ffn=64, context=96)


def converter_permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's convert_hf_to_gguf permutation of q/k rows (rotate-half -> interleaved pairs)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_rows(w: np.ndarray, n_head: int) -> np.ndarray:
    """The inverse, written as index arithmetic: row 2i (2i+1) of a head is rotate-half row i (D/2+i)."""
    d = w.shape[0] // n_head
    order = [h * d + 2 * i + half for h in range(n_head) for half in (0, 1) for i in range(d // 2)]
    return w[order]


def random_weights(seed: int, arch: str, shape=SHAPE, tied=True, qkv_bias=False) -> dict[str, np.ndarray]:
    """Hugging Face-layout weights (Linear: out x in), under llmcli's names, for `arch`."""
    rng = np.random.default_rng(seed)
    V, C, F = shape["vocab"], shape["n_embd"], shape["ffn"]
    kv = C // shape["n_head"] * shape["n_kv_head"]

    def r(*dims):
        return rng.standard_normal(dims).astype(np.float32) * 0.5

    out = {"embed.weight": r(V, C), "norm.weight": 1 + r(C)}
    for n in range(shape["n_layer"]):
        b = f"blocks.{n}."
        out.update({b + "attn_norm.weight": 1 + r(C), b + "mlp_norm.weight": 1 + r(C), b + "attn.proj.weight": r(C, C)})
        if arch == "gpt2":
            out.update({b + "attn.qkv.weight": r(3 * C, C), b + "mlp.up.weight": r(F, C), b + "mlp.down.weight": r(C, F)})
            for name in ("attn_norm", "mlp_norm", "attn.qkv", "attn.proj", "mlp.up", "mlp.down"):
                out[f"{b}{name}.bias"] = r(out[f"{b}{name}.weight"].shape[0])
        else:
            out.update({b + "q": r(C, C), b + "k": r(kv, C), b + "v": r(kv, C),
                        b + "gate": r(F, C), b + "up": r(F, C), b + "mlp.down.weight": r(C, F)})
            if qkv_bias:
                out.update({b + "q.bias": r(C), b + "k.bias": r(kv), b + "v.bias": r(kv)})
    if arch == "gpt2":
        out.update({"norm.bias": r(C), "pos_embed.weight": r(shape["context"], C)})
    if not tied:
        out["output.weight"] = r(V, C)
    return out


GGUF_NAMES = {"embed.weight": "token_embd.weight", "norm.weight": "output_norm.weight", "norm.bias": "output_norm.bias",
              "pos_embed.weight": "position_embd.weight", "output.weight": "output.weight"}
GGUF_BLOCK = {"attn_norm": "attn_norm", "mlp_norm": "ffn_norm", "attn.proj": "attn_output", "attn.qkv": "attn_qkv",
              "mlp.up": "ffn_up", "mlp.down": "ffn_down", "q": "attn_q", "k": "attn_k", "v": "attn_v",
              "gate": "ffn_gate", "up": "ffn_up"}
K_TYPES = (Q.Q4_K, Q.Q5_K, Q.Q6_K)


def gguf_name(name: str, arch: str, shape: dict) -> tuple[str, int]:
    """The GGUF name of a weight, and the head count its rows are permuted by (0: not permuted)."""
    if not name.startswith("blocks."):
        return GGUF_NAMES[name], 0
    _, n, rest = name.split(".", 2)
    stem, kind = (rest.rsplit(".", 1) if rest.endswith((".weight", ".bias")) else (rest, "weight"))
    heads = {"q": shape["n_head"], "k": shape["n_kv_head"]}.get(stem, 0) if arch == "llama" else 0
    return f"blk.{n}.{GGUF_BLOCK[stem]}.{kind}", heads


def encode(w: np.ndarray, qtype, rng) -> np.ndarray:
    """w as the file stores it: 1-D in F32 as llama.cpp keeps norms; 2-D as `qtype`, quantized by
    the gguf package (the K types, which it cannot quantize, as random blocks with sane scales)."""
    if w.ndim == 1 or qtype == Q.F32:
        return w.astype(np.float32)
    if qtype == Q.F16:
        return w.astype(np.float16)
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    if qtype in TOLERANCE:
        return gguf.quants.quantize(w, qtype)
    blocks = rng.integers(0, 256, (w.size // block, size), dtype=np.uint8)
    if qtype not in K_TYPES:
        return blocks.reshape(w.shape[0], -1)  # a type llmcli refuses: its values never matter
    scales = rng.uniform(0.001, 0.02, (blocks.shape[0], 2)).astype(np.float16).view(np.uint8)
    if qtype == Q.Q6_K:
        blocks[:, -2:] = scales[:, :2]  # d is the last field of a Q6_K block
    else:
        blocks[:, :4] = scales  # d and dmin lead Q4_K and Q5_K blocks
    return blocks.reshape(w.shape[0], -1)


def decode(stored: np.ndarray, qtype) -> np.ndarray:
    """The reference: the gguf package's own dequantization of what the file stores."""
    if stored.dtype == np.uint8:
        with np.errstate(all="ignore"):  # the random blocks of a type llmcli refuses hold NaN scales
            return gguf.quants.dequantize(stored, qtype)
    return stored.astype(np.float32)


def gguf_tensors(weights: dict, arch: str, shape=SHAPE, qtype=Q.F32, seed=0):
    """(the tensors as llama.cpp's converter writes them, under GGUF's names and stored as `qtype`;
    the weights the file holds, decoded by the reference and un-permuted, under `weights`' names)."""
    rng = np.random.default_rng(seed)
    stored, reference = {}, {}
    for name, w in weights.items():
        gname, heads = gguf_name(name, arch, shape)
        data = encode(converter_permute(w, heads) if heads else w, qtype, rng)
        stored[gname] = data
        held = decode(data, qtype).reshape(w.shape)
        reference[name] = hf_rows(held, heads) if heads else held
    if arch == "gpt2" and "output.weight" not in stored:
        stored["output.weight"] = stored["token_embd.weight"]  # the converter writes GPT-2's tied output out
    return stored, reference


def write_gguf(path, arch: str, tensors: dict, shape=SHAPE, qtype=Q.F32, metadata=True, **strings):
    """A GGUF file with `shape`'s metadata and `tensors` (bytes are blocks of `qtype`)."""
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_block_count(shape["n_layer"])
    writer.add_context_length(shape["context"])
    writer.add_embedding_length(shape["n_embd"])
    writer.add_feed_forward_length(shape["ffn"])
    writer.add_head_count(shape["n_head"])
    if arch != "gpt2":
        writer.add_head_count_kv(shape["n_kv_head"])
        writer.add_rope_freq_base(100000.0)
        writer.add_layer_norm_rms_eps(1e-5)
    else:
        writer.add_layer_norm_eps(1e-5)
    writer.add_vocab_size(shape["vocab"])
    if metadata:
        writer.add_name("Tiny Test Model")
        writer.add_license("apache-2.0")
        writer.add_source_url("https://example.org/tiny")
    for key, value in strings.items():
        writer.add_string(key, value)
    for name, data in tensors.items():
        writer.add_tensor(name, data, raw_dtype=qtype if data.dtype == np.uint8 else None)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def expected_state(weights: dict, arch: str, shape=SHAPE) -> dict[str, np.ndarray]:
    """What llmcli's state dict must hold: q, k, v rows (and biases) and gate, up rows concatenated."""
    parts = ("q", "k", "v", "gate", "up")
    out = {k: w for k, w in weights.items() if not (k.startswith("blocks.") and k.split(".")[2] in parts)}
    for n in range(shape["n_layer"]):
        b = f"blocks.{n}."
        if arch != "gpt2":
            out[b + "attn.qkv.weight"] = np.concatenate([weights[b + x] for x in "qkv"])
            out[b + "mlp.gate_up.weight"] = np.concatenate([weights[b + "gate"], weights[b + "up"]])
        if b + "q.bias" in weights:
            out[b + "attn.qkv.bias"] = np.concatenate([weights[b + x + ".bias"] for x in "qkv"])
    return out


def assert_state(state: dict, expected: dict, atol=0.0):
    assert sorted(state) == sorted(expected)
    for name, w in expected.items():
        assert state[name].dtype == torch.float32, name
        assert state[name].shape == w.shape, name
        torch.testing.assert_close(state[name], torch.from_numpy(w), atol=atol, rtol=0, msg=name)


@pytest.mark.parametrize("tied", [True, False])
def test_llama_with_grouped_query_attention(tmp_path, tied):
    weights = random_weights(1, "llama", tied=tied)
    stored, _ = gguf_tensors(weights, "llama")
    path = write_gguf(tmp_path / "llama.gguf", "llama", stored)
    config, state, meta = read_gguf(path)
    assert config == {
        "family": "llama", "vocab_size": 48, "n_layer": 2, "n_head": 4, "n_kv_head": 2, "n_embd": 32,
        "context": 96, "ffn_hidden": 64, "rope_theta": 100000.0, "norm_eps": 1e-5, "qkv_bias": False,
        "bias": False, "norm": "rms", "positions": "rope", "mlp": "swiglu", "tied_output": tied,
    }
    assert_state(state, expected_state(weights, "llama"))  # q and k rows back in rotate-half order
    assert ("output.weight" in state) is not tied
    assert meta["name"] == "Tiny Test Model" and meta["license"] == "apache-2.0"
    assert meta["source_url"] == "https://example.org/tiny" and meta["quantization"] == {"F32": len(stored)}


def test_the_unpermutation_matches_an_independent_inverse():
    from llmcli.pretrained.gguf_tensors import rotate_half_rows

    w = np.arange(24 * 3, dtype=np.float32).reshape(24, 3)
    for heads in (1, 2, 3):
        permuted = converter_permute(w, heads)
        assert np.array_equal(hf_rows(permuted, heads), w)
        assert np.array_equal(rotate_half_rows(torch.from_numpy(permuted), heads).numpy(), w)
    # with the query head count for k (transformers#31766) the rows come out wrong
    k = w[:12]
    assert not np.array_equal(rotate_half_rows(torch.from_numpy(converter_permute(k, 3)), 6).numpy(), k)


def test_qwen2_with_biases_is_not_permuted(tmp_path):
    weights = random_weights(2, "qwen2", tied=True, qkv_bias=True)
    path = write_gguf(tmp_path / "qwen2.gguf", "qwen2", gguf_tensors(weights, "qwen2")[0])
    config, state, _ = read_gguf(path)
    assert config["family"] == "qwen2" and config["qkv_bias"] is True and config["bias"] is False
    assert config["tied_output"] is True and config["n_kv_head"] == 2
    assert_state(state, expected_state(weights, "qwen2"))


@pytest.mark.parametrize("tied", [True, False])
def test_gpt2(tmp_path, tied):
    weights = random_weights(3, "gpt2", tied=tied)
    path = write_gguf(tmp_path / "gpt2.gguf", "gpt2", gguf_tensors(weights, "gpt2")[0])
    config, state, _ = read_gguf(path)
    assert {k: config[k] for k in ("family", "norm", "positions", "mlp", "bias", "qkv_bias", "n_kv_head")} == {
        "family": "gpt2", "norm": "layer", "positions": "learned", "mlp": "gelu", "bias": True, "qkv_bias": True,
        "n_kv_head": 4}
    assert config["tied_output"] is tied  # the converter's copy of the embedding is read as tied
    assert_state(state, expected_state(weights, "gpt2"))


# -- quantizations ---------------------------------------------------------------------------------------

QSHAPE = dict(vocab=8, n_layer=1, n_embd=256, n_head=2, n_kv_head=1, ffn=256, context=16)  # K blocks: 256
# the most a dequantized weight may differ from the float one it was quantized from: weights ~ N(0, 0.5),
# so a block of 32 spans about +-1.2; seen: F16 0.00097, BF16 0.0073, Q8_0 0.0088, Q5_1 0.056, Q5_0 0.096,
# Q4_1 0.116, Q4_0 0.207 (the symmetric types clip the extreme of the other sign at 15 or 7 steps)
TOLERANCE = {Q.F32: 0.0, Q.F16: 2e-3, Q.BF16: 1.5e-2, Q.Q8_0: 1.5e-2, Q.Q5_1: 0.08, Q.Q5_0: 0.15,
             Q.Q4_1: 0.17, Q.Q4_0: 0.3}


@pytest.mark.parametrize("qtype", list(TOLERANCE) + list(K_TYPES), ids=lambda q: q.name)
def test_each_quantization_against_the_gguf_reference(tmp_path, qtype):
    weights = random_weights(4, "llama", QSHAPE, tied=False)
    stored, reference = gguf_tensors(weights, "llama", QSHAPE, qtype)
    path = write_gguf(tmp_path / f"{qtype.name}.gguf", "llama", stored, QSHAPE, qtype)
    config, state, meta = read_gguf(path)
    assert meta["quantization"] == ({qtype.name: 9, "F32": 3} if qtype != Q.F32 else {"F32": 12})
    # exactly the gguf package's dequantization, q and k rows un-permuted
    assert_state(state, expected_state(reference, "llama", QSHAPE))
    if qtype in TOLERANCE:  # and close to the weights it was quantized from
        assert_state(state, expected_state(weights, "llama", QSHAPE), atol=TOLERANCE[qtype])


def test_an_unsupported_quantization_is_named(tmp_path):
    weights = random_weights(5, "llama", QSHAPE)
    stored, _ = gguf_tensors(weights, "llama", QSHAPE, Q.Q2_K)
    path = write_gguf(tmp_path / "q2k.gguf", "llama", stored, QSHAPE, qtype=Q.Q2_K)
    with pytest.raises(GGUFError, match=r"tensor \S+ is stored as Q2_K, a type llmcli cannot read; supported: "
                                        r"F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K"):
        read_gguf(path)


# -- bad files -------------------------------------------------------------------------------------------


def test_an_unsupported_architecture_is_named(tmp_path):
    stored, _ = gguf_tensors(random_weights(6, "llama"), "llama")
    path = write_gguf(tmp_path / "falcon.gguf", "falcon", stored)
    with pytest.raises(GGUFError) as err:
        read_gguf(path)
    assert str(err.value) == (f"{path} holds a model of architecture 'falcon', which llmcli cannot load; "
                              "supported: llama, qwen2, gpt2")


@pytest.fixture
def llama_file(tmp_path):
    stored, _ = gguf_tensors(random_weights(7, "llama"), "llama")
    return write_gguf(tmp_path / "good.gguf", "llama", stored)


@pytest.mark.parametrize("keep", [0, 3, 10, 200, 0.5, 0.999])
def test_a_truncated_file_is_one_error(llama_file, tmp_path, keep):
    data = llama_file.read_bytes()
    cut = tmp_path / "cut.gguf"
    size = int(len(data) * keep) if isinstance(keep, float) else keep
    cut.write_bytes(data[:size])
    with pytest.raises(GGUFError) as err:
        read_gguf(cut)
    message = str(err.value)
    assert "\n" not in message and str(cut) in message
    assert ("is not a GGUF file" in message) if size < 4 else ("it is truncated or corrupt" in message)


def test_not_a_gguf_file_and_a_corrupt_one(llama_file, tmp_path):
    text = tmp_path / "model.gguf"
    text.write_text("just some text, not a model\n")
    with pytest.raises(GGUFError, match=r"is not a GGUF file \(a file that does not start with GGUF's magic bytes\)$"):
        read_gguf(text)
    with pytest.raises(GGUFError, match="cannot read"):
        read_gguf(tmp_path / "absent.gguf")
    data = bytearray(llama_file.read_bytes())
    swapped = tmp_path / "big-endian.gguf"
    swapped.write_bytes(bytes(data[:4]) + (3).to_bytes(4, "big") + bytes(data[8:]))
    with pytest.raises(GGUFError, match="is a big-endian GGUF file, which llmcli cannot read"):
        read_gguf(swapped)
    data[24:32] = (2**62).to_bytes(8, "little")  # the first key's length: far past the end of the file
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(bytes(data))
    with pytest.raises(GGUFError, match="it is truncated or corrupt"):
        read_gguf(bad)


@pytest.mark.parametrize("item", [0, 8, 9])  # an array of 2**40 bytes, strings or arrays, in a file of 41 bytes
def test_a_hostile_length_is_refused_at_once(tmp_path, item):
    import struct

    header = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"x" + struct.pack("<IIQ", 9, item, 2**40)
    path = tmp_path / "hostile.gguf"
    path.write_bytes(header)
    with pytest.raises(GGUFError, match="it is truncated or corrupt .a length at byte \\d+ runs past the end"):
        read_gguf(path)


def test_a_tensor_of_the_wrong_shape_or_an_unknown_one_is_refused(tmp_path):
    stored, _ = gguf_tensors(random_weights(8, "llama"), "llama")
    wrong = dict(stored, **{"blk.1.attn_k.weight": stored["blk.1.attn_q.weight"]})  # 4 kv heads' rows, not 2
    with pytest.raises(GGUFError, match=r"tensor blk.1.attn_k.weight has shape \(32, 32\), not the \(16, 32\)"):
        read_gguf(write_gguf(tmp_path / "wrong.gguf", "llama", wrong))
    extra = dict(stored, **{"rope_freqs.weight": np.ones(4, dtype=np.float32)})  # Llama 3.1's rope scaling
    with pytest.raises(GGUFError, match=r"has tensors llmcli has no place for \(rope_freqs.weight\)"):
        read_gguf(write_gguf(tmp_path / "extra.gguf", "llama", extra))
    missing = {k: v for k, v in stored.items() if k != "blk.0.ffn_gate.weight"}
    with pytest.raises(GGUFError, match="has no tensor blk.0.ffn_gate.weight"):
        read_gguf(write_gguf(tmp_path / "missing.gguf", "llama", missing))


def test_a_shape_llmcli_cannot_build_is_refused(tmp_path):
    stored, _ = gguf_tensors(random_weights(10, "llama"), "llama")
    with pytest.raises(GGUFError, match="4 query heads and 3 key-value heads do not fit a width of 32"):
        read_gguf(write_gguf(tmp_path / "heads.gguf", "llama", stored, dict(SHAPE, n_kv_head=3)))
    with pytest.raises(GGUFError, match=f"declares a context of {2**30} tokens; llmcli loads at most 1048576"):
        read_gguf(write_gguf(tmp_path / "long.gguf", "llama", stored, dict(SHAPE, context=2**30)))


# -- against transformers' own GGUF loading ----------------------------------------------------------------


def from_transformers(hf: dict, family: str, n_layer: int) -> dict[str, torch.Tensor]:
    """A transformers state dict under llmcli's names (what the families' weight mapping does)."""
    if family == "gpt2":
        out = {"embed.weight": hf["transformer.wte.weight"], "pos_embed.weight": hf["transformer.wpe.weight"],
               "norm.weight": hf["transformer.ln_f.weight"], "norm.bias": hf["transformer.ln_f.bias"]}
        names = {"ln_1": "attn_norm", "attn.c_attn": "attn.qkv", "attn.c_proj": "attn.proj", "ln_2": "mlp_norm",
                 "mlp.c_fc": "mlp.up", "mlp.c_proj": "mlp.down"}
        for n in range(n_layer):
            for theirs, ours in names.items():
                weight = hf[f"transformer.h.{n}.{theirs}.weight"]
                out[f"blocks.{n}.{ours}.weight"] = weight if theirs.startswith("ln") else weight.T  # Conv1D: in x out
                out[f"blocks.{n}.{ours}.bias"] = hf[f"transformer.h.{n}.{theirs}.bias"]
        return out
    out = {"embed.weight": hf["model.embed_tokens.weight"], "norm.weight": hf["model.norm.weight"]}
    for n in range(n_layer):
        a, b = f"model.layers.{n}.", f"blocks.{n}."
        out[b + "attn_norm.weight"] = hf[a + "input_layernorm.weight"]
        out[b + "mlp_norm.weight"] = hf[a + "post_attention_layernorm.weight"]
        out[b + "attn.qkv.weight"] = torch.cat([hf[f"{a}self_attn.{x}_proj.weight"] for x in "qkv"])
        if a + "self_attn.q_proj.bias" in hf:
            out[b + "attn.qkv.bias"] = torch.cat([hf[f"{a}self_attn.{x}_proj.bias"] for x in "qkv"])
        out[b + "attn.proj.weight"] = hf[a + "self_attn.o_proj.weight"]
        out[b + "mlp.gate_up.weight"] = torch.cat([hf[a + "mlp.gate_proj.weight"], hf[a + "mlp.up_proj.weight"]])
        out[b + "mlp.down.weight"] = hf[a + "mlp.down_proj.weight"]
    return out


def transformers_state(path, family: str, tied: bool, n_layer: int) -> dict[str, torch.Tensor]:
    transformers = pytest.importorskip("transformers")
    model = transformers.AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name,
                                                              torch_dtype=torch.float32)
    hf = {k: v.detach() for k, v in model.state_dict().items()}
    out = from_transformers(hf, family, n_layer)
    if not tied:
        out["output.weight"] = hf["lm_head.weight"]
    return out


@pytest.mark.parametrize("arch, tied", [("llama", True), ("llama", False), ("qwen2", True), ("gpt2", False)])
def test_the_same_weights_as_transformers_reads(tmp_path, arch, tied):
    # transformers takes GPT-2's vocabulary, positions and 4x MLP from GPT-2 itself, not from the file
    shape = dict(SHAPE, vocab=50257, context=1024, ffn=128) if arch == "gpt2" else SHAPE
    weights = random_weights(9, arch, shape, tied=tied, qkv_bias=arch == "qwen2")
    stored = gguf_tensors(weights, arch, shape, qtype=Q.Q8_0)[0]
    path = write_gguf(tmp_path / f"{arch}.gguf", arch, stored, shape, qtype=Q.Q8_0)
    config, state, _ = read_gguf(path)
    theirs = transformers_state(path, arch, config["tied_output"], config["n_layer"])
    assert sorted(state) == sorted(theirs)
    for name, tensor in theirs.items():
        torch.testing.assert_close(state[name], tensor.float(), atol=0, rtol=0, msg=name)


# -- the real SmolLM2-135M-Instruct file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def smollm2():
    path = smollm2_gguf()
    return path, read_gguf(path)


def test_smollm2_config_and_metadata(smollm2):
    _, (config, state, meta) = smollm2
    assert config == {
        "family": "llama", "vocab_size": 49152, "n_layer": 30, "n_head": 9, "n_kv_head": 3, "n_embd": 576,
        "context": 8192, "ffn_hidden": 1536, "rope_theta": 100000.0, "norm_eps": 1e-5, "qkv_bias": False,
        "bias": False, "norm": "rms", "positions": "rope", "mlp": "swiglu", "tied_output": True,
    }
    assert "output.weight" not in state and len(state) == 2 + 30 * 6
    assert state["blocks.0.attn.qkv.weight"].shape == (576 + 2 * 192, 576)
    assert all(t.dtype == torch.float32 and torch.isfinite(t).all() for t in state.values())
    assert "Q4_1" in meta["quantization"]


def test_smollm2_matches_transformers(smollm2):
    path, (config, state, _) = smollm2
    theirs = transformers_state(path, "llama", True, config["n_layer"])
    assert sorted(state) == sorted(theirs)
    for name, tensor in theirs.items():
        torch.testing.assert_close(state[name], tensor.float(), atol=0, rtol=0, msg=name)
