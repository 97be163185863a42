"""The whole-step native decode (model/native_decode.py, kernels/decode_step.cpp): as close to
a float model as the eager quantized step is, for grouped-query attention, biases, batches
and both weight types; it fills the KV cache as the eager step does, grows it, stops at the
context; and it is taken only for models whose parts it knows."""

import copy

import pytest
import torch

from llmcli.model import native_kernels
from llmcli.model.config import ModelConfig
from llmcli.model.decoding_steps import last_logits
from llmcli.model.generate import GenerationConfig, generate_ids, greedy_batch
from llmcli.model.quantize import quantize_for_generation
from llmcli.model.transformer import Transformer

needs_kernels = pytest.mark.skipif(not native_kernels.load(), reason="no C++ compiler or no AVX-512 VNNI here")

SHAPES = {
    "grouped-query": dict(n_head=4, n_kv_head=2, n_embd=256),
    "biases (qwen2, llmcli's bias)": dict(n_head=2, n_embd=256, qkv_bias=True, bias=True),
    "head size 128": dict(n_head=2, n_kv_head=1, n_embd=256, ffn_hidden=320),
    "head size 32 (nano)": dict(n_head=2, n_embd=64),
}


def models(shape, bits, seed=0):
    torch.manual_seed(seed)
    reference = Transformer(ModelConfig(vocab_size=300, n_layer=3, context=320, **SHAPES[shape]))
    for p in reference.parameters():
        p.data.normal_(0, 0.05)
    quantized = copy.deepcopy(reference)
    assert quantize_for_generation(quantized, bits)
    return reference.eval(), quantized


def relative(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


@needs_kernels
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("rows", [1, 3])
def test_native_steps_are_as_close_to_the_float_model_as_eager_steps(shape, bits, rows):
    reference, model = models(shape, bits)
    step = model.native_step
    assert step is not None
    prompt = torch.randint(0, 300, (rows, 40))
    caches = [reference.new_cache(rows), model.new_cache(rows), model.new_cache(rows)]
    with torch.no_grad():
        for m, cache in zip((reference, model, model), caches):
            last_logits(m, prompt, cache)
        native_gap = eager_gap = 0.0
        for _ in range(4):
            idx = torch.randint(0, 300, (rows, 1))
            exact = last_logits(reference, idx, caches[0])
            native = last_logits(model, idx, caches[1])
            model.native_step = None
            eager = last_logits(model, idx, caches[2])
            model.native_step = step
            native_gap, eager_gap = max(native_gap, relative(native, exact)), max(eager_gap, relative(eager, exact))
            assert relative(native, eager) < 0.05
    assert caches[1].length == caches[2].length == 44
    # the same keys and values stored (the eager step's were computed in bf16)
    assert relative(caches[1].k[2][:, :, :44], caches[2].k[2][:, :, :44]) < 0.05
    assert native_gap <= 1.5 * eager_gap + 0.005, (native_gap, eager_gap)


@needs_kernels
def test_generation_through_the_native_step_grows_the_cache_and_slides_at_the_context():
    _, model = models("grouped-query", 4)
    prompt = torch.randint(0, 300, (250,)).tolist()
    greedy = GenerationConfig(max_new_tokens=30, temperature=0)
    native = list(generate_ids(model, prompt, greedy))  # past the cache's first 256 positions
    step, model.native_step = model.native_step, None
    eager = list(generate_ids(model, prompt, greedy))
    model.native_step = step
    assert len(native) == 30 and native[:3] == eager[:3]
    # past the context of 320, generate slides its window and starts a new cache
    assert len(list(generate_ids(model, prompt, GenerationConfig(max_new_tokens=100, temperature=0)))) == 100
    cache = model.new_cache(1)
    with torch.no_grad():
        last_logits(model, torch.randint(0, 300, (1, 320)), cache)
        with pytest.raises(ValueError, match="exceeds the context"):
            last_logits(model, torch.tensor([[5]]), cache)


@needs_kernels
def test_batched_rows_through_the_native_step_are_each_rows_own():
    _, model = models("biases (qwen2, llmcli's bias)", 8)
    prompts = [torch.randint(0, 300, (12,)).tolist() for _ in range(3)]
    together = greedy_batch(model, prompts, 6)
    alone = [greedy_batch(model, [p], 6)[0] for p in prompts]
    assert [row[:2] for row in together] == [row[:2] for row in alone]


@needs_kernels
def test_only_models_of_known_parts_get_the_native_step():
    gpt2 = Transformer(ModelConfig(vocab_size=300, n_layer=2, n_head=4, n_embd=256, context=64, norm="layer",
                                   positions="learned", mlp="gelu", bias=True, qkv_bias=True, family="gpt2"))
    assert quantize_for_generation(gpt2, 8) and gpt2.native_step is None
    float_model = Transformer(ModelConfig(vocab_size=300, n_layer=2, n_head=4, n_embd=256, context=64))
    assert getattr(float_model, "native_step", None) is None


def test_without_the_kernels_no_model_gets_the_native_step(monkeypatch):
    monkeypatch.setattr(native_kernels, "_loaded", False)
    model = Transformer(ModelConfig(vocab_size=300, n_layer=2, n_head=4, n_embd=256, context=64))
    if quantize_for_generation(model, 8):  # torch's int8 kernel
        assert model.native_step is None


@needs_kernels
def test_generate_compile_says_the_native_step_has_nothing_left_to_compile(trained_model):
    from cli_helpers import ok, run

    result = ok(run("generate", "-m", trained_model.name, "--compile", "-n", "5", "-t", "0", "Once"))
    assert "nothing to compile" in result.stderr and result.stdout.strip()
