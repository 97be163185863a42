"""Int8 weights for generation: close to float32, and generation runs on them."""

from __future__ import annotations

import copy

import pytest
import torch

from llmcli.model.generate import GenerationConfig, generate_ids
from llmcli.model.quantize import int8_kernel_available, quantize_for_generation
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
