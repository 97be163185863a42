"""`llmcli import`: Hugging Face folders saved by transformers and GGUF files become
ordinary run directories whose model gives transformers' logits and whose tokenizer gives
its ids; every bad input is one line, and a failed import leaves no model behind."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from cli_helpers import ok, one_line_error, run
from test_hf_tokenizer import TEXTS, train_tiny
from test_model_families import FAMILIES, hf_model

transformers = pytest.importorskip("transformers")
gguf = pytest.importorskip("gguf")


@pytest.fixture(scope="module")
def tokenizer_folder(tmp_path_factory):
    return train_tiny(tmp_path_factory.mktemp("tok"), digits=True)


def saved_folder(tmp_path, tokenizer_folder, family: str):
    """A folder as `save_pretrained` writes it: a tiny random model sized to the tokenizer."""
    kind, overrides = FAMILIES[family]
    vocab = json.loads((tokenizer_folder / "tokenizer.json").read_text())["model"]["vocab"]
    model = hf_model(kind, vocab=len(vocab) + 3, **overrides)  # an embedding padded past the tokenizer
    folder = tmp_path / family
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tokenizer_folder / name).read_bytes())
    return folder, model


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_a_saved_folder_imports_with_its_logits_and_ids(family, tmp_path, tokenizer_folder, llmcli_home):
    from llmcli.model.loading import load_model

    folder, hf = saved_folder(tmp_path, tokenizer_folder, family)
    ok(run("import", folder, "--name", "tiny-hf"))
    loaded = load_model(llmcli_home / "models" / "tiny-hf")
    assert loaded.config.origin.start == "import" and loaded.config.origin.source == str(folder.resolve())
    assert loaded.config.model.family == FAMILIES[family][0]
    reference = transformers.AutoTokenizer.from_pretrained(str(folder))
    for text in TEXTS.values():
        assert loaded.tokenizer.encode(text) == reference.encode(text, add_special_tokens=False)
    ids = torch.tensor([loaded.tokenizer.encode(TEXTS["digits"])[:40]])
    with torch.inference_mode():
        gap = (loaded.model(ids)[0] - hf(ids).logits).abs().max().item()
    assert gap < 1e-4
    listed = {e["name"]: e for e in json.loads(ok(run("models", "--json")).stdout)}
    assert listed["tiny-hf"]["preset"] == f"imported:{FAMILIES[family][0]}"
    ok(run("generate", "-m", "tiny-hf", "hello", "-n", 5, "--seed", 1))
    ok(run("info", "tiny-hf"))
    ok(run("export", "tiny-hf", "--format", "hf", tmp_path / "back"))  # and out again, as transformers reads it
    again = transformers.AutoModelForCausalLM.from_pretrained(str(tmp_path / "back")).eval()
    with torch.inference_mode():
        assert (again(ids).logits - hf(ids).logits).abs().max().item() < 1e-4
    assert transformers.AutoTokenizer.from_pretrained(str(tmp_path / "back")).encode(
        TEXTS["digits"], add_special_tokens=False) == reference.encode(TEXTS["digits"], add_special_tokens=False)


def test_chat_frames_the_message_with_the_models_template(tmp_path, tokenizer_folder):
    folder, _ = saved_folder(tmp_path, tokenizer_folder, "llama-gqa-tied")
    ok(run("import", folder, "--name", "tiny-chat"))
    result = ok(run("generate", "-m", "tiny-chat", "--chat", "hi there", "-n", 4))
    assert "hi there" not in result.stdout  # only the answer is printed


def test_a_gguf_file_imports(tmp_path, llmcli_home):
    from test_gguf_weights import gguf_tensors, random_weights

    from llmcli.model.loading import load_model

    folder = train_tiny(tmp_path / "tok", digits=True)
    data = json.loads((folder / "tokenizer.json").read_text())
    vocab = data["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    shape = dict(vocab=len(tokens), n_layer=2, n_embd=32, n_head=4, n_kv_head=2, ffn=64, context=96)
    stored, _ = gguf_tensors(random_weights(0, "llama", shape), "llama", shape)
    path = tmp_path / "tiny.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    for add, value in ((writer.add_block_count, 2), (writer.add_context_length, 96), (writer.add_embedding_length, 32),
                       (writer.add_feed_forward_length, 64), (writer.add_head_count, 4),
                       (writer.add_head_count_kv, 2), (writer.add_rope_freq_base, 10000.0),
                       (writer.add_layer_norm_rms_eps, 1e-5), (writer.add_name, "Tiny"),
                       (writer.add_license, "apache-2.0")):
        add(value)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(tokens)
    writer.add_token_merges(merges)
    writer.add_token_types([3 if t.startswith("<|") else 1 for t in tokens])
    writer.add_bos_token_id(vocab["<|im_start|>"])
    writer.add_eos_token_id(vocab["<|im_end|>"])
    for name, tensor in stored.items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    ok(run("import", path))
    loaded = load_model(llmcli_home / "models" / "tiny")
    assert loaded.config.origin.license == "apache-2.0" and loaded.config.origin.name == "Tiny"
    assert loaded.config.model.n_kv_head == 2
    reference = transformers.AutoTokenizer.from_pretrained(str(folder))
    assert loaded.tokenizer.encode(TEXTS["digits"]) == reference.encode(TEXTS["digits"], add_special_tokens=False)


def test_pickled_weights_are_refused_unread(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (folder / "tokenizer.json").write_text("{}")
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04not really")
    one_line_error(run("import", folder), "pickled weights", "safetensors")
    one_line_error(run("import", folder / "pytorch_model.bin"), "pickled weights")


@pytest.mark.parametrize("missing, message", [("config.json", "no config.json"),
                                              ("model.safetensors", "no model.safetensors"),
                                              ("tokenizer.json", "no tokenizer.json")])
def test_an_incomplete_folder_is_one_line(missing, message, tmp_path, tokenizer_folder, llmcli_home):
    folder, _ = saved_folder(tmp_path, tokenizer_folder, "gpt2")
    (folder / missing).unlink()
    one_line_error(run("import", folder), message)
    assert not (llmcli_home / "models").exists() or not any((llmcli_home / "models").iterdir())


def test_unsupported_and_broken_sources_leave_nothing(tmp_path, tokenizer_folder, llmcli_home):
    folder, _ = saved_folder(tmp_path, tokenizer_folder, "llama-gqa-tied")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "mamba"}))
    one_line_error(run("import", folder), "mamba")
    (folder / "config.json").write_text(json.dumps(config))
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # truncated
    one_line_error(run("import", folder))
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + bytes(np.arange(40, dtype=np.uint8)))
    one_line_error(run("import", bad))
    one_line_error(run("import", tmp_path / "nowhere.gguf"), "no such file")
    models = llmcli_home / "models"
    assert not models.exists() or not any(models.iterdir())  # no model, no temporary folder


def test_an_existing_name_needs_force(tmp_path, tokenizer_folder, llmcli_home):
    folder, _ = saved_folder(tmp_path, tokenizer_folder, "gpt2")
    ok(run("import", folder, "--name", "twice"))
    one_line_error(run("import", folder, "--name", "twice"), "already exists")
    (folder / "config.json").write_text("{not json")  # a failed replacement keeps the model there was
    one_line_error(run("import", folder, "--name", "twice", "--force"))
    assert (llmcli_home / "models" / "twice" / "model.safetensors").is_file()
    saved_folder(tmp_path / "again", tokenizer_folder, "gpt2")
    ok(run("import", tmp_path / "again" / "gpt2", "--name", "twice", "--force"))
    assert sorted(p.name for p in (llmcli_home / "models").iterdir()) == ["twice"]


@pytest.mark.parametrize("task", ["reverse", "bird"])  # the lm head, and the classifier (pooled at the last token)
def test_an_imported_model_is_a_base_to_fine_tune(task, toy_tasks, tmp_path, tokenizer_folder, llmcli_home):
    from cli_helpers import tiny_finetune_args

    folder, _ = saved_folder(tmp_path, tokenizer_folder, "llama-gqa-tied")
    ok(run("import", folder, "--name", "tiny-base"))
    ok(run("finetune", task, "--base", "tiny-base", *tiny_finetune_args(steps=2, preset=None)))
    config = json.loads((llmcli_home / "models" / task / "config.json").read_text())
    assert config["origin"]["start"] == "base" and config["tokenizer"]["type"] == "hf"
    assert config["train"]["lr"] == 1e-4  # pretrained elsewhere: smaller steps than a model of ours
    ok(run("eval", task, "-m", task, "--limit", 4))
