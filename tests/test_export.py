"""`llmcli export`: a model trained with `llmcli train`, exported as a Hugging Face folder
(loaded back by transformers: same logits, same greedy text, same token ids) and as GGUF
files (read back by the gguf package, every dtype; and by transformers' GGUF loader, which
undoes llama.cpp's q/k permutation itself); and the bad inputs, one line each."""

from __future__ import annotations

import importlib.util
import json
from types import SimpleNamespace

import pytest
from cli_helpers import ok, one_line_error, run

from llmcli.errors import UserError

needs_transformers = pytest.mark.skipif(importlib.util.find_spec("transformers") is None,
                                        reason="transformers is not installed")
needs_gguf = pytest.mark.skipif(importlib.util.find_spec("gguf") is None, reason="gguf is not installed")
needs_accelerate = pytest.mark.skipif(importlib.util.find_spec("accelerate") is None,
                                      reason="transformers' GGUF loading needs accelerate")

PROMPT = "The fox and the grapes. Once upon a time"
TEXTS = [
    "The fox said: hello world!",
    "line one\nline two\n\n  indented\tand a tab\n",
    "\r\nWindows line ends\r\n",
    "Numbers 12345, 3.14159 and 2024-01-01",
    "中文字符和日本語のテキスト",
    "emoji 🙂🚀 and ❤️ end",
    "  leading and trailing spaces  ",
    "the text <sep> and <eos> are characters here",
]


@pytest.fixture
def loaded(trained_model):
    from llmcli.model.loading import load_model

    return load_model(trained_model)


@pytest.fixture
def hf_folder(trained_model, tmp_path):
    out = tmp_path / "tiny-hf"
    ok(run("export", "tiny", "--format", "hf", out))
    return out


def gguf_file(tmp_path, dtype):
    out = tmp_path / f"tiny-{dtype}.gguf"
    ok(run("export", "tiny", "--format", "gguf", out, "--dtype", dtype))
    return out


@needs_transformers
def test_hf_export_gives_the_same_logits_and_greedy_text(loaded, hf_folder):
    import torch
    from transformers import AutoModelForCausalLM

    from llmcli.model.generate import greedy_batch

    model = AutoModelForCausalLM.from_pretrained(hf_folder).eval()
    assert type(model).__name__ == "LlamaForCausalLM"
    ids = loaded.tokenizer.encode(PROMPT)
    with torch.no_grad():
        theirs = model(torch.tensor([ids])).logits
        mine, _ = loaded.model(torch.tensor([ids]))
    assert (theirs - mine).abs().max().item() < 1e-4
    ours = greedy_batch(loaded.model, [ids], 16)[0]
    generated = model.generate(torch.tensor([ids]), max_new_tokens=len(ours), do_sample=False,
                               eos_token_id=loaded.tokenizer.eos_id, pad_token_id=loaded.tokenizer.pad_id)
    assert generated[0, len(ids):].tolist() == ours


@needs_transformers
def test_hf_tokenizer_gives_llmcli_ids(loaded, hf_folder):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(hf_folder)
    for text in TEXTS:
        ids = tokenizer(text)["input_ids"]  # no bos or eos: llmcli adds none
        assert ids == loaded.tokenizer.encode(text) == loaded.tokenizer.encode_file_text(text), text
        assert tokenizer.decode(ids) == text
    assert tokenizer.convert_ids_to_tokens([loaded.tokenizer.bos_id, loaded.tokenizer.eos_id]) == ["<bos>", "<eos>"]
    assert tokenizer.pad_token_id == loaded.tokenizer.pad_id


def test_hf_folder_files_and_dtypes(trained_model, tmp_path):
    from safetensors import safe_open

    out = tmp_path / "half"
    ok(run("export", "tiny", "--format", "hf", out, "--dtype", "bf16"))
    assert {p.name for p in out.iterdir()} == {
        "config.json", "generation_config.json", "model.safetensors", "tokenizer.model", "tokenizer.json",
        "tokenizer_config.json", "special_tokens_map.json"}
    config = json.loads((out / "config.json").read_text())
    assert config["tie_word_embeddings"] and config["num_key_value_heads"] == config["num_attention_heads"]
    with safe_open(out / "model.safetensors", "pt") as f:
        names = set(f.keys())
        assert {str(f.get_tensor(n).dtype) for n in names} == {"torch.bfloat16"}
    assert "lm_head.weight" not in names and "model.layers.1.self_attn.k_proj.weight" in names


def unpermuted(array, heads):
    """llama.cpp's interleaved q/k rows back in the rotate-half order (as importers do)."""
    rows = array.shape[0]
    return array.reshape(heads, rows // heads // 2, 2, *array.shape[1:]).swapaxes(1, 2).reshape(array.shape)


def gguf_tensors(path):
    """name -> (float32 array in PyTorch's shape, ggml type name)"""
    import numpy as np
    from gguf import GGUFReader, quants

    out = {}
    for t in GGUFReader(path).tensors:
        data = quants.dequantize(t.data, t.tensor_type)
        out[t.name] = (np.asarray(data, dtype=np.float32).reshape(tuple(int(d) for d in reversed(t.shape))),
                       t.tensor_type.name)
    return out


TOLERANCE = {"f32": 0.0, "f16": 1e-3, "bf16": 8e-3, "q8_0": 1 / 127}  # of the tensor's largest value


@needs_gguf
@pytest.mark.parametrize("dtype", ["f32", "f16", "bf16", "q8_0"])
def test_gguf_tensors_read_back_equal_the_model(loaded, tmp_path, dtype):
    import numpy as np

    tensors = gguf_tensors(gguf_file(tmp_path, dtype))
    state = {k: v.numpy() for k, v in loaded.model.state_dict().items()}
    c = loaded.model.config
    q, ffn = c.n_embd, c.ffn_hidden
    expected = {"token_embd.weight": state["embed.weight"], "output_norm.weight": state["norm.weight"]}
    for n in range(c.n_layer):
        qkv, gate_up = state[f"blocks.{n}.attn.qkv.weight"], state[f"blocks.{n}.mlp.gate_up.weight"]
        expected.update({
            f"blk.{n}.attn_norm.weight": state[f"blocks.{n}.attn_norm.weight"],
            f"blk.{n}.attn_q.weight": qkv[:q], f"blk.{n}.attn_k.weight": qkv[q:2 * q],
            f"blk.{n}.attn_v.weight": qkv[2 * q:],
            f"blk.{n}.attn_output.weight": state[f"blocks.{n}.attn.proj.weight"],
            f"blk.{n}.ffn_norm.weight": state[f"blocks.{n}.mlp_norm.weight"],
            f"blk.{n}.ffn_gate.weight": gate_up[:ffn], f"blk.{n}.ffn_up.weight": gate_up[ffn:],
            f"blk.{n}.ffn_down.weight": state[f"blocks.{n}.mlp.down.weight"],
        })
    assert set(tensors) == set(expected)  # tied: no output.weight
    for name, want in expected.items():
        got, kind = tensors[name]
        if name.endswith(("attn_q.weight", "attn_k.weight")):
            got = unpermuted(got, c.n_head)
        if name.endswith("norm.weight"):
            assert kind == "F32"
        else:
            assert kind == dtype.upper()
        assert got.shape == want.shape, name
        assert np.abs(got - want).max() <= TOLERANCE[dtype] * np.abs(want).max(), name


@needs_gguf
def test_gguf_metadata_and_vocabulary(loaded, tmp_path):
    from gguf import GGUFReader, TokenType

    reader = GGUFReader(gguf_file(tmp_path, "q8_0"))
    c = loaded.model.config
    fields = {name: field.contents() for name, field in reader.fields.items()}
    assert fields["general.architecture"] == "llama" and fields["general.name"] == "tiny"
    assert fields["general.file_type"] == 7  # MOSTLY_Q8_0
    expected = {"context_length": c.context, "embedding_length": c.n_embd, "block_count": c.n_layer,
                "feed_forward_length": c.ffn_hidden, "attention.head_count": c.n_head,
                "attention.head_count_kv": c.n_head, "rope.dimension_count": c.head_dim}
    for key, value in expected.items():
        assert fields[f"llama.{key}"] == value, key
    assert fields["llama.rope.freq_base"] == pytest.approx(c.rope_theta)
    assert fields["llama.attention.layer_norm_rms_epsilon"] == pytest.approx(c.norm_eps)
    tok = loaded.tokenizer
    assert fields["tokenizer.ggml.model"] == "llama"
    assert fields["tokenizer.ggml.tokens"] == [tok.id_to_piece(i) for i in range(tok.vocab_size)]
    types = fields["tokenizer.ggml.token_type"]
    assert types[tok.unk_id] == TokenType.UNKNOWN and types[tok.newline_id] == TokenType.USER_DEFINED
    assert {types[i] for i in (tok.pad_id, tok.bos_id, tok.eos_id, tok.sep_id)} == {TokenType.CONTROL}
    assert types[tok.newline_id + 1] == TokenType.BYTE and types[-1] == TokenType.NORMAL
    assert [fields[f"tokenizer.ggml.{k}_token_id"] for k in ("bos", "eos", "unknown", "padding")] == [
        tok.bos_id, tok.eos_id, tok.unk_id, tok.pad_id]
    assert fields["tokenizer.ggml.add_bos_token"] is False and fields["tokenizer.ggml.add_space_prefix"] is False


@needs_transformers
@needs_accelerate
def test_gguf_loaded_by_transformers_gives_the_same_logits_and_ids(loaded, tmp_path):
    import torch
    from tokenizers import pre_tokenizers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = gguf_file(tmp_path, "f32")
    model = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file=path.name).eval()
    ids = loaded.tokenizer.encode(PROMPT)
    with torch.no_grad():
        difference = (model(torch.tensor([ids])).logits - loaded.model(torch.tensor([ids]))[0]).abs().max()
    assert difference.item() < 1e-4
    # transformers rebuilds the merges from the scores, as llama.cpp merges by them; it ignores
    # tokenizer.ggml.add_space_prefix (false here), so its prefix space is turned off by hand
    tokenizer = AutoTokenizer.from_pretrained(tmp_path, gguf_file=path.name)
    tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="never", split=False)
    for text in TEXTS[:-1]:  # llama.cpp, like transformers here, matches control tokens' text
        assert tokenizer(text, add_special_tokens=False)["input_ids"] == loaded.tokenizer.encode(text), text


def test_unknown_model_is_one_line(tmp_path):
    one_line_error(run("export", "nope", "--format", "gguf", tmp_path / "x.gguf"), "no model named 'nope'")


@pytest.mark.parametrize("fmt,name", [("gguf", "x.gguf"), ("hf", "x-hf")])
def test_existing_output_needs_force(trained_model, tmp_path, fmt, name):
    out = tmp_path / name
    out.mkdir() if fmt == "hf" else out.write_text("keep me")
    one_line_error(run("export", "tiny", "--format", fmt, out), "already exists", "--force")
    assert out.is_dir() if fmt == "hf" else out.read_text() == "keep me"
    ok(run("export", "tiny", "--format", fmt, out, "--force"))
    assert (out / "config.json").is_file() if fmt == "hf" else out.stat().st_size > 1000


@pytest.mark.parametrize("fmt,name,fragment", [("hf", "notes", "a folder of other files"),
                                               ("gguf", "notes", "is a folder"), ("hf", "notes/a.txt", "is a file")])
def test_force_never_replaces_other_things(trained_model, tmp_path, fmt, name, fragment):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("mine")
    one_line_error(run("export", "tiny", "--format", fmt, tmp_path / name, "--force"), fragment)
    assert (tmp_path / "notes" / "a.txt").read_text() == "mine"


@pytest.mark.parametrize("fmt,dtype", [("gguf", "q4_0"), ("hf", "q8_0"), ("hf", "int4")])
def test_unsupported_dtype_is_one_line(trained_model, tmp_path, fmt, dtype):
    out = tmp_path / "out"
    one_line_error(run("export", "tiny", "--format", fmt, out, "--dtype", dtype), f"--dtype {dtype}", "choose one of")
    assert not out.exists()


@needs_gguf
def test_interrupted_export_leaves_nothing(loaded, tmp_path, monkeypatch):
    import gguf

    from llmcli.pretrained.export_gguf import export_gguf

    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "old.gguf"
    out.write_bytes(b"the previous export")

    def interrupted(writer, **kwargs):  # Ctrl-C halfway through the tensors
        writer.fout[0].write(b"half a tensor")
        raise KeyboardInterrupt

    monkeypatch.setattr(gguf.GGUFWriter, "write_tensors_to_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_gguf(loaded, out, "f16", force=True)
    assert out.read_bytes() == b"the previous export"
    assert [p.name for p in folder.iterdir()] == ["old.gguf"]


@pytest.mark.parametrize("fmt", ["hf", "gguf"])
def test_a_tokenizer_the_format_cannot_hold_is_refused(loaded, tmp_path, fmt):
    from llmcli.pretrained.export_gguf import export_gguf
    from llmcli.pretrained.export_hf import export_hf

    loaded.config.tokenizer.type = "unigram"
    with pytest.raises(UserError, match="the model's tokenizer is 'unigram'"):
        (export_hf if fmt == "hf" else export_gguf)(loaded, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_variants_without_a_gguf_architecture_are_refused():
    from llmcli.pretrained.gguf_tensors import architecture_of

    llama = dict(family="llama", positions="rope", norm="rms", mlp="swiglu", qkv_bias=False, bias=False)
    assert architecture_of(SimpleNamespace(**llama)) == "llama"
    assert architecture_of(SimpleNamespace(**dict(llama, family="llmcli"))) == "llama"
    assert architecture_of(SimpleNamespace(**dict(llama, family="qwen2", qkv_bias=True))) == "qwen2"
    with pytest.raises(UserError, match="has no GGUF architecture llmcli writes: it writes llama, qwen2, gpt2"):
        architecture_of(SimpleNamespace(**dict(llama, qkv_bias=True, bias=True)))  # Llama's attention_bias


def test_grouped_query_slices_follow_the_kv_head_count():
    import torch

    from llmcli.model.config import ModelConfig
    from llmcli.pretrained.export_gguf import gguf_tensors
    from llmcli.pretrained.gguf_tensors import llmcli_shapes

    config = ModelConfig(family="llama", vocab_size=5, n_head=4, n_kv_head=2, n_embd=16, n_layer=1, ffn_hidden=3,
                         context=8, tied_output=False)  # head_dim 4: q 16 rows, k and v 8 each
    state = {name: torch.arange(float(shape[0])).reshape(-1, *[1] * (len(shape) - 1)).expand(shape)
             for name, shape in llmcli_shapes(config).items()}  # each row holds its row number
    got = {name: array[:, 0].tolist() for name, array, _ in gguf_tensors("llama", config, state) if array.ndim == 2}
    assert got["blk.0.attn_k.weight"] == [16, 18, 17, 19, 20, 22, 21, 23]  # interleaved within each kv head
    assert got["blk.0.attn_v.weight"] == list(range(24, 32)) and got["blk.0.attn_q.weight"][:4] == [0, 2, 1, 3]
    assert got["blk.0.ffn_up.weight"] == [3, 4, 5] and "output.weight" in got


def test_rotary_rows_interleave_within_each_head():
    import numpy as np

    from llmcli.pretrained.gguf_tensors import interleave_rotary, rotate_half_rows

    rows = np.arange(8)[:, None]  # two heads of four rows: halves (0, 1 | 2, 3) and (4, 5 | 6, 7)
    assert interleave_rotary(rows, 2)[:, 0].tolist() == [0, 2, 1, 3, 4, 6, 5, 7]
    assert interleave_rotary(rows, 1)[:, 0].tolist() == [0, 4, 1, 5, 2, 6, 3, 7]
    assert (rotate_half_rows(interleave_rotary(rows, 2), 2) == rows).all()
    assert (unpermuted(interleave_rotary(rows, 2), 2) == rows).all()
