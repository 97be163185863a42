"""Int8 weights for generation: close to float32, and generation runs on them."""

from __future__ import annotations

import copy

import pytest
import torch

from llmcli.model.generate import GenerationConfig, generate_ids
from llmcli.model.quantize import (Int4Linear, Int8Linear, int4_kernel_available, int8_kernel_available,
                                  prepare_for_generation, quantize_for_generation)
from llmcli.model.config import ModelConfig
from llmcli.model.transformer import Transformer

pytestmark = pytest.mark.skipif(not int8_kernel_available(), reason="no int8 kernel in this torch")


def model():
    torch.manual_seed(0)
    return Transformer(ModelConfig(vocab_size=300, n_layer=2, n_head=2, n_embd=64, context=32)).eval()


def test_int8_logits_are_close_to_float32():
    fp32 = model()
    int8 = copy.deepcopy(fp32)
    assert quantize_for_generation(int8)
    idx = torch.randint(0, 300, (2, 20))
    with torch.inference_mode():
        a, _ = fp32(idx)
        b, _ = int8(idx)
    assert b.dtype == torch.bfloat16
    assert torch.allclose(a, b.float(), atol=0.02 * a.abs().max().item())
    # the most likely token agrees almost everywhere
    assert (a.argmax(-1) == b.float().argmax(-1)).float().mean() > 0.9


def test_generation_runs_on_int8_weights_with_and_without_cache():
    int8 = model()
    quantize_for_generation(int8)
    prompt = [5, 6, 7]
    cached = list(generate_ids(int8, prompt, GenerationConfig(max_new_tokens=40, temperature=0)))
    uncached = list(generate_ids(int8, prompt, GenerationConfig(max_new_tokens=40, temperature=0, use_cache=False)))
    assert len(cached) == 40
    assert cached[:10] == uncached[:10]  # bf16 rounding may part them later, not at once


needs_int4 = pytest.mark.skipif(not int4_kernel_available(), reason="no int4 kernel in this torch")


@needs_int4
def test_int4_gives_back_weights_a_q4_1_file_holds():
    """Weights that are codes 0..15 times a scale plus a minimum per group of 32 (what a
    Q4_1 file holds) come back as they were, to the bf16 rounding of scale and zero."""
    torch.manual_seed(0)
    codes = torch.randint(0, 16, (96, 128)).float()
    codes[:, ::32], codes[:, 1::32] = 0, 15  # every group spans the whole range, as Q4_1's quantizer makes it
    scale = torch.rand(96, 4).repeat_interleave(32, 1) * 0.01 + 0.001
    low = torch.randn(96, 4).repeat_interleave(32, 1) * 0.05
    weight = codes * scale + low
    layer = Int4Linear(weight)
    x = torch.randn(3, 128)
    assert torch.allclose(layer(x).float(), x @ weight.T, atol=2e-2 * (x @ weight.T).abs().max().item())
    assert layer(x).dtype == x.dtype


@needs_int4
def test_int4_generation_and_its_fallback():
    int4 = model()
    assert prepare_for_generation(int4, "int4") == "int4"
    assert isinstance(int4.blocks[0].mlp.down, Int4Linear) and isinstance(int4.quantized_output, Int8Linear)
    fp32 = model()
    idx = torch.randint(0, 300, (1, 12))
    with torch.inference_mode():
        a, b = fp32(idx)[0], int4(idx)[0].float()
    assert (a.argmax(-1) == b.argmax(-1)).float().mean() > 0.8
    assert len(list(generate_ids(int4, [5, 6, 7], GenerationConfig(max_new_tokens=10, temperature=0)))) == 10
    torch.manual_seed(0)
    narrow = Transformer(ModelConfig(vocab_size=300, n_layer=1, n_head=2, n_embd=48, context=32)).eval()
    assert prepare_for_generation(narrow, "int4") == "int8"  # 48 columns: no whole groups of 32
