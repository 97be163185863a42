"""`llmcli export --format gguf` of imported models: tiny random Llama (grouped-query, tied and
untied), Qwen2 (q/k/v biases) and GPT-2 models made with transformers, each with a byte-level
BPE tokenizer (SmolLM's split, GPT-2's, Qwen2's), imported from their folders and exported.
The file is read back with the gguf package (metadata, tensors), imported again by llmcli
(the same logits, the same token ids), and loaded by transformers' own GGUF loader, which
stands in for llama.cpp here (the same logits, the same ids). transformers takes a GPT-2
file's position count (1024) and MLP width (4 x n_embd) from GPT-2 itself, so its GPT-2
model is made that size. The real SmolLM2 at Q8_0 is the slow test."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from cli_helpers import ok, one_line_error, run
from test_hf_tokenizer import TEXTS, train_tiny
from test_model_families import FAMILIES, hf_model

transformers = pytest.importorskip("transformers")
gguf = pytest.importorskip("gguf")
pytestmark = pytest.mark.usefixtures("one_thread")

CASES = {  # test id: (FAMILIES key, the tokenizer's split, the tokenizer.ggml.pre it gets)
    "llama-gqa-tied": ("llama-gqa-tied", "smollm", "smollm"),
    "llama-mqa-untied": ("llama-mqa-untied", "gpt2", "gpt-2"),
    "qwen2-biases": ("qwen2-biases", "qwen2", "qwen2"),
    "gpt2": ("gpt2", "gpt2", "gpt-2"),
}
ARCHITECTURE = {"llama": "llama", "qwen2": "qwen2", "gpt2": "gpt2"}
PAD = 3  # the embedding has rows past the tokenizer's last id, as real models often do


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    """A tokenizer folder for each split: trained with SmolLM's or GPT-2's; Qwen2's is GPT-2's
    vocabulary with the normalizer and pre-tokenizer of transformers' own Qwen2 tokenizer."""
    root = tmp_path_factory.mktemp("tokenizers")
    folders = {"smollm": train_tiny(root / "smollm", digits=True), "gpt2": train_tiny(root / "gpt2", digits=False)}
    qwen2 = root / "qwen2"
    shutil.copytree(folders["gpt2"], qwen2)
    spec = json.loads((qwen2 / "tokenizer.json").read_text(encoding="utf-8"))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in spec["model"]["merges"]]
    theirs = json.loads(transformers.Qwen2Tokenizer(vocab=spec["model"]["vocab"], merges=merges)
                        .backend_tokenizer.to_str())
    spec["normalizer"], spec["pre_tokenizer"] = theirs["normalizer"], theirs["pre_tokenizer"]
    (qwen2 / "tokenizer.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    folders["qwen2"] = qwen2
    return folders


def gpt2_model(vocab: int):
    """A tiny random GPT-2 of the size transformers' GGUF loader assumes for any GPT-2 file."""
    config = transformers.GPT2Config(vocab_size=vocab, n_positions=1024, n_embd=64, n_layer=2, n_head=4,
                                     bos_token_id=0, eos_token_id=0)
    config._attn_implementation = "eager"
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    return model.eval()


def imported(case: str, tokenizers, tmp_path):
    """The case's transformers model, saved with its tokenizer and imported as `case`."""
    family, split, _ = CASES[case]
    kind, overrides = FAMILIES[family]
    tokenizer = tokenizers[split]
    size = len(json.loads((tokenizer / "tokenizer.json").read_text())["model"]["vocab"]) + PAD
    model = gpt2_model(size) if kind == "gpt2" else hf_model(kind, vocab=size, **overrides)
    folder = tmp_path / case
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer / name, folder / name)
    ok(run("import", folder, "--name", case))
    return model, folder


def fields_of(path) -> dict:
    return {name: f.contents() for name, f in gguf.GGUFReader(path).fields.items()}


def logits(model, ids):
    with torch.inference_mode():
        out = model(ids)
    return out.logits if hasattr(out, "logits") else out[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_export_reads_back_imports_again_and_loads_in_transformers(case, tokenizers, tmp_path, llmcli_home):
    from llmcli.model.loading import load_model

    hf, folder = imported(case, tokenizers, tmp_path)
    out = folder / "model.gguf"
    result = ok(run("export", case, "--format", "gguf", out))
    assert f"tokenizer.ggml.pre: {CASES[case][2]}" in result.stderr
    source = load_model(llmcli_home / "models" / case)
    check_metadata(fields_of(out), source, CASES[case][2])
    check_tensor_types(out, "f32")
    ok(run("import", out, "--name", "back"))
    back = load_model(llmcli_home / "models" / "back")
    assert back.config.model == source.config.model
    for name, tensor in source.model.state_dict().items():
        assert torch.equal(back.model.state_dict()[name], tensor), name  # F32 round trip: exact
    reference = transformers.AutoTokenizer.from_pretrained(str(folder))
    theirs = transformers.AutoTokenizer.from_pretrained(str(folder), gguf_file=out.name)
    for text in TEXTS.values():
        expected = reference.encode(text, add_special_tokens=False)
        assert back.tokenizer.encode(text) == expected, text
        assert theirs.encode(text, add_special_tokens=False) == expected, text
    ids = torch.tensor([source.tokenizer.encode(TEXTS["digits"] + TEXTS["cjk"])[:40]])
    loaded = transformers.AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=out.name).eval()
    assert (logits(loaded, ids) - logits(hf, ids)).abs().max().item() < 1e-4
    assert (logits(back.model, ids) - logits(hf, ids)).abs().max().item() < 1e-4


def check_metadata(fields: dict, source, pre: str) -> None:
    config, tok = source.config.model, source.tokenizer
    arch = ARCHITECTURE[config.family]
    assert fields["general.architecture"] == arch
    assert fields[f"{arch}.context_length"] == config.context and fields[f"{arch}.block_count"] == config.n_layer
    assert fields[f"{arch}.attention.head_count"] == config.n_head
    if arch == "gpt2":
        assert fields["gpt2.attention.layer_norm_epsilon"] == pytest.approx(config.norm_eps)
    else:
        assert fields[f"{arch}.attention.head_count_kv"] == config.n_kv_head
        assert fields[f"{arch}.rope.freq_base"] == pytest.approx(config.rope_theta)
        assert fields[f"{arch}.attention.layer_norm_rms_epsilon"] == pytest.approx(config.norm_eps)
    assert fields["tokenizer.ggml.model"] == "gpt2" and fields["tokenizer.ggml.pre"] == pre
    tokens, types = fields["tokenizer.ggml.tokens"], fields["tokenizer.ggml.token_type"]
    assert len(tokens) == len(types) == config.vocab_size == tok.vocab_size + PAD
    assert tokens[:tok.vocab_size] == [tok.id_to_piece(i) for i in range(tok.vocab_size)]
    assert tokens[tok.vocab_size:] == [f"[PAD{i}]" for i in range(tok.vocab_size, config.vocab_size)]
    assert {types[i] for i in (tok.bos_id, tok.eos_id, tok.unk_id)} == {gguf.TokenType.CONTROL}
    assert types[tok.encode("the")[0]] == gguf.TokenType.NORMAL and types[-1] == gguf.TokenType.UNUSED
    spec = json.loads(json.loads(tok.to_bytes())["tokenizer"])
    merges = [m if isinstance(m, str) else " ".join(m) for m in spec["model"]["merges"]]
    assert fields["tokenizer.ggml.merges"] == merges
    assert fields["tokenizer.ggml.bos_token_id"] == tok.bos_id and fields["tokenizer.ggml.eos_token_id"] == tok.eos_id
    assert fields["tokenizer.ggml.unknown_token_id"] == tok.unk_id and "tokenizer.ggml.padding_token_id" not in fields
    assert fields["tokenizer.ggml.add_bos_token"] is False
    assert fields["tokenizer.chat_template"] == tok.chat_template


def check_tensor_types(path, dtype: str) -> dict:
    """Every tensor's type: 1-D ones (norms, biases) and GPT-2's positions F32, the rest `dtype`."""
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(path).tensors}
    for name, kind in types.items():
        flat = name.endswith((".bias", "norm.weight")) or name == "position_embd.weight"
        assert kind == ("F32" if flat else dtype.upper()), name
    return types


@pytest.mark.parametrize("case, dtype", [("qwen2-biases", "f16"), ("qwen2-biases", "bf16"),
                                         ("llama-gqa-tied", "q8_0"), ("llama-mqa-untied", "q8_0"),
                                         ("qwen2-biases", "q8_0"), ("gpt2", "q8_0")])
def test_each_dtype_quantizes_every_family(case, dtype, tokenizers, tmp_path, llmcli_home):
    from llmcli.model.loading import load_model

    hf, folder = imported(case, tokenizers, tmp_path)
    out = folder / f"{dtype}.gguf"
    ok(run("export", case, "--format", "gguf", out, "--dtype", dtype))
    types = check_tensor_types(out, dtype)
    names = set(types)
    assert ("blk.0.attn_q.bias" in names) is (case == "qwen2-biases")
    assert ("blk.0.attn_qkv.bias" in names and "position_embd.weight" in names) is (case == "gpt2")
    assert ("output.weight" in names) is (case != "llama-gqa-tied")  # untied, or GPT-2's tied copy
    ok(run("import", out, "--name", "back"))
    back = load_model(llmcli_home / "models" / "back")
    ids = torch.tensor([back.tokenizer.encode(TEXTS["ascii"])[:32]])
    gap = (logits(back.model, ids) - logits(hf, ids)).abs().max().item()
    # logits up to about 4 here; seen: f16 0.0017, bf16 0.015, q8_0 0.03-0.09
    assert gap < {"f16": 0.01, "bf16": 0.08, "q8_0": 0.25}[dtype]


def test_a_tokenizer_gguf_cannot_name_is_refused(tokenizers, tmp_path, llmcli_home):
    """A split no known pre-tokenizer has (Llama 3's digits in threes), and a SentencePiece-style
    tokenizer: one line each, and nothing written."""
    _, folder = imported("llama-gqa-tied", tokenizers, tmp_path)
    model_dir = llmcli_home / "models" / "llama-gqa-tied"
    spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    spec["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": r"\p{N}{1,3}| ?[^\s\p{N}]+|\s+"}, "behavior": "Isolated",
         "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]}
    (model_dir / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    one_line_error(run("export", "llama-gqa-tied", "--format", "gguf", tmp_path / "x.gguf"),
                   "splits text unlike every GGUF pre-tokenizer llmcli knows (gpt-2, qwen2, smollm)", "--format hf")
    spec["model"]["byte_fallback"] = True  # as TinyLlama's tokenizer.json: spaces as U+2581, bytes as <0xNN>
    spec["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                                                              {"type": "Replace", "pattern": {"String": " "},
                                                               "content": "\u2581"}]}
    spec["pre_tokenizer"] = None
    spec["decoder"] = {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]}
    (model_dir / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    one_line_error(run("export", "llama-gqa-tied", "--format", "gguf", tmp_path / "x.gguf"),
                   "SentencePiece-style tokenizer, not a byte-level BPE one")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "llama-gqa-tied"]  # no file, no temporary one


def test_token_ids_past_the_embedding_are_refused():
    from llmcli.errors import UserError
    from llmcli.pretrained.export_bpe import token_list

    spec = {"model": {"vocab": {"a": 0, "b": 1}}, "added_tokens": [{"id": 2, "content": "<s>", "special": True}]}
    assert token_list(spec, 4) == (["a", "b", "<s>", "[PAD3]"], ["normal", "normal", "control", "unused"])
    with pytest.raises(UserError, match="token id 2 but the model's embedding only 2 rows"):
        token_list(spec, 2)


@pytest.mark.slow
def test_the_real_smollm2_at_q8_0_loads_in_transformers(tmp_path, llmcli_home):
    """SmolLM2-135M-Instruct imported from its Q4_1 file and exported at Q8_0: the tokenizer's
    metadata is the original file's to the letter, and transformers' logits from the export
    stay near llmcli's float32 ones (seen: at most 1.25 on logits up to 35; every argmax the same)."""
    from pretrained_files import smollm2_gguf

    from llmcli.model.loading import load_model

    original = smollm2_gguf()
    ok(run("import", original, "--name", "smol"))
    out = tmp_path / "smol-q8_0.gguf"
    ok(run("export", "smol", "--format", "gguf", out, "--dtype", "q8_0"))
    ours, theirs = fields_of(out), fields_of(original)
    for key in ("model", "pre", "tokens", "token_type", "merges", "bos_token_id", "eos_token_id",
                "unknown_token_id", "padding_token_id", "add_bos_token"):
        assert ours[f"tokenizer.ggml.{key}"] == theirs[f"tokenizer.ggml.{key}"], key
    assert ours["tokenizer.chat_template"] == theirs["tokenizer.chat_template"]
    loaded = load_model(llmcli_home / "models" / "smol")
    prompt = "The capital of France is Paris. 12345 近く 🙂 <|im_end|>"
    ids = loaded.tokenizer.encode(prompt)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tmp_path), gguf_file=out.name)
    assert tokenizer.encode(prompt, add_special_tokens=False, split_special_tokens=True) == ids
    model = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path), gguf_file=out.name,
                                                              dtype=torch.float32).eval()
    expected, got = logits(loaded.model, torch.tensor([ids]))[0], logits(model, torch.tensor([ids]))[0]
    assert (got - expected).abs().max().item() < 2.5
    assert torch.equal(got.argmax(-1), expected.argmax(-1))


def test_merges_become_gguf_strings():
    from llmcli.errors import UserError
    from llmcli.pretrained.export_bpe import merge_strings

    assert merge_strings([["Ġ", "t"], "i n"]) == ["Ġ t", "i n"]
    with pytest.raises(UserError, match="a merge of tokens holding a space"):
        merge_strings([["a b", "c"]])
