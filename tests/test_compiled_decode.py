"""`--compile`: the compiled one-token decoding step gives the eager model's logits (to the
rounding of bf16 activations), across a growing KV cache and batched rows, runs beam
search, and refuses clearly without a C++ compiler. Skipped where this machine has none (inductor builds C++)."""

import pytest
import torch

from llmcli.errors import UserError
from llmcli.model import compiled_decode
from llmcli.model.config import ModelConfig
from llmcli.model.generate import GenerationConfig, generate_ids, greedy_batch
from llmcli.model.quantize import prepare_for_generation
from llmcli.model.transformer import KVCache, Transformer

pytestmark = pytest.mark.usefixtures("one_thread")
needs_compiler = pytest.mark.skipif(not compiled_decode.compiler_available(), reason="no C++ compiler")


def tiny_model(context=300):
    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=97, n_layer=2, n_head=4, n_kv_head=2, n_embd=64, context=context))
    with torch.no_grad():  # larger weights than the default init: clear-cut greedy choices
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.2)
    return model.eval()


@pytest.fixture(scope="module")
def pair():
    """The same int8 model twice: eager, and with the compiled step (compiled once for the module)."""
    eager, compiled = tiny_model(), tiny_model()
    for model in (eager, compiled):
        prepare_for_generation(model, "int8")
    compiled_decode.compile_decoding(compiled)
    compiled.native_step = eager.native_step = None  # PyTorch's step, compiled and eager, is what is tested
    return eager, compiled


def stepwise_logits(model, tokens, rows=1):
    """Logits of each one-token step along `tokens` (the same for every row), through the
    model's own decoding path (decoding_steps.last_logits)."""
    from llmcli.model.decoding_steps import last_logits

    cache = model.new_cache(rows)
    out = []
    with torch.inference_mode():
        last_logits(model, torch.tensor([tokens[:2]] * rows), cache)
        for token in tokens[2:]:
            out.append(last_logits(model, torch.tensor([[token]] * rows), cache))
    return torch.stack(out)


@needs_compiler
def test_compiled_steps_give_the_eager_logits_past_the_first_room_of_the_cache(pair):
    eager, compiled = pair
    # the eager greedy path, long enough that the cache grows once
    tokens = [3, 14] + list(generate_ids(eager, [3, 14], GenerationConfig(max_new_tokens=KVCache.CHUNK + 20,
                                                                           temperature=0)))
    ours, theirs = stepwise_logits(compiled, tokens), stepwise_logits(eager, tokens)
    # the compiled kernels round bf16 activations in other places, and where the int8 kernel
    # rounds its activations to 8 bits, a last-bit change in one can move a code by one
    assert (ours - theirs).abs().max() <= 0.05 * theirs.abs().max()
    assert (ours.argmax(-1) == theirs.argmax(-1)).float().mean() > 0.95


@needs_compiler
def test_compiled_batched_rows_and_beams_decode(pair):
    eager, compiled = pair
    tokens = [3, 14, 15, 9, 2, 6, 5]
    ours, theirs = stepwise_logits(compiled, tokens, rows=3), stepwise_logits(eager, tokens, rows=3)
    assert (ours - theirs).abs().max() <= 0.05 * theirs.abs().max()
    assert greedy_batch(compiled, [[3, 14, 15], [9, 2, 6]], 6)[0][:2] == greedy_batch(eager, [[3, 14, 15]], 6)[0][:2]
    beams = list(generate_ids(compiled, [3, 14], GenerationConfig(max_new_tokens=10, num_beams=3)))
    assert 0 < len(beams) <= 10


@needs_compiler
def test_the_step_is_used_and_moves_the_cache_on(pair):
    _, compiled = pair
    cache = compiled.new_cache(1)
    with torch.inference_mode():
        compiled.hidden_states(torch.tensor([[1, 2, 3]]), cache)
        logits = compiled_decode.compiled_last_logits(compiled, torch.tensor([[4]]), cache)
    assert logits.shape == (1, 97) and cache.length == 4
    assert cache.capacity >= 5  # a spare position past the token's: no second compile at a full room


def test_without_a_compiler_the_refusal_says_what_to_install(monkeypatch):
    monkeypatch.setattr(compiled_decode.shutil, "which", lambda name: None)
    with pytest.raises(UserError, match="C\\+\\+ compiler"):
        compiled_decode.compile_decoding(tiny_model())
