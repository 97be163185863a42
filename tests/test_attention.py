"""`llmcli attention`: the weights computed explicitly are the ones the model attends with,
and the command draws, saves and prints them."""

from __future__ import annotations

import json

import pytest
import torch

from cli_helpers import ok, one_line_error, run
from llmcli.model.attention_maps import attention_maps
from llmcli.model.config import ModelConfig
from llmcli.model.transformer import Transformer
from test_model_families import GPT2_LIKE

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("variants", [dict(n_kv_head=2), GPT2_LIKE], ids=["llama-gqa", "gpt2"])
def test_the_weights_are_those_the_model_attends_with(variants):
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=50, n_layer=2, n_head=4, n_embd=32, context=16, **variants)).eval()
    ids = [1, 7, 3, 9, 12, 4]
    maps = attention_maps(model, ids)
    assert maps.shape == (2, 4, 6, 6)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 4, 6), atol=1e-5)
    assert (maps.triu(diagonal=1) == 0).all()  # causal: nothing from later tokens
    # the weights times the values, projected, are the attention layer's own output
    seen = {}
    attention = model.blocks[1].attn
    attention.register_forward_hook(lambda module, args, out: seen.update(x=args[0], out=out))
    with torch.no_grad():
        model.hidden_states(torch.tensor([ids]))
        v = attention.qkv(seen["x"]).view(1, 6, -1, attention.head_dim).transpose(1, 2)[:, -attention.n_kv_head:]
        mixed = maps[1][None] @ attention.shared_kv(v)
        rebuilt = attention.proj(mixed.transpose(1, 2).reshape(1, 6, 32))
    assert torch.allclose(rebuilt, seen["out"], atol=1e-5)


def test_the_command_draws_saves_and_prints(trained_model, tmp_path):
    shown = ok(run("attention", "-m", "tiny", "the fox saw the crow")).stdout
    assert "layer 2 of 2, mean of 2 heads" in shown and "<bos>" in shown
    assert "·the" in shown or "·t" in shown  # the tokens as split, spaces made visible
    data = json.loads(ok(run("attention", "-m", "tiny", "the fox", "--layer", "1", "--head", "2", "--json")).stdout)
    assert data["layer"] == 1 and data["head"] == 2 and data["tokens"][0] == "<bos>"
    assert len(data["weights"]) == len(data["tokens"]) and all(abs(sum(r) - 1) < 1e-4 for r in data["weights"])
    for suffix, start in ((".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<svg"), (".html", b"<!doctype html>")):
        ok(run("attention", "-m", "tiny", "the fox", "--image", tmp_path / f"map{suffix}"))
        assert (tmp_path / f"map{suffix}").read_bytes().startswith(start)
    one_line_error(run("attention", "-m", "tiny", "x", "--layer", "3"), "--layer 3: the model has 2")
    one_line_error(run("attention", "-m", "tiny", "x", "--head", "0"), "--head 0: the model has 2")
    one_line_error(run("attention", "-m", "tiny", "x", "--image", tmp_path / "map.gif"), "give a file ending in")
    assert not (tmp_path / "map.gif").exists()


def test_attention_to_prompt_is_the_answer_rows_mean_over_the_prompt():
    from llmcli.model.attention_maps import attention_to_prompt

    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=50, n_layer=2, n_head=4, n_embd=32, context=6)).eval()
    prompt, answer = [1, 7, 3, 9, 12], [4, 5, 6]
    kept, shares = attention_to_prompt(model, prompt, answer)
    assert kept == [3, 9, 12]  # the window of 6 keeps the answer and the prompt's last three
    maps = attention_maps(model, kept + answer)
    manual = maps[:, :, 2:5, :3].mean(dim=(0, 1, 2))  # the rows that wrote the answer's tokens
    assert torch.allclose(torch.tensor(shares), manual / manual.sum(), atol=1e-6)
    assert abs(sum(shares) - 1) < 1e-6


def test_an_answer_that_fills_the_window_is_one_line_in_the_session():
    from types import SimpleNamespace

    from rich.console import Console

    from llmcli.cli.answer_attention import show_answer_attention

    model = Transformer(ModelConfig(vocab_size=50, n_layer=1, n_head=2, n_embd=16, context=6)).eval()
    head = SimpleNamespace(answer_ids=lambda tm, example, answer: ([1, 7], [4, 5, 6, 4, 5, 6]))
    console = Console(record=True, width=120)
    show_answer_attention(SimpleNamespace(head=head, model=model, tokenizer=None), {}, "whatever", console)
    assert console.export_text().strip() == "The last answer fills the model's window: none of its input is left to show"
