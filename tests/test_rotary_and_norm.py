"""The hand-written rotary embedding and RMSNorm (model/rotary.py, model/rms_norm.py): the
same values and gradients as the textbook forms they replace, in every layout and
precision the model uses them in."""

import pytest
import torch
import torch.nn.functional as F

from llmcli.model.rms_norm import RMSNorm
from llmcli.model.rotary import apply_rope, rope_tables


def textbook_rope(x, cos, sin):
    half = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], dim=-1) * sin


def test_rotation_matches_the_textbook_form_and_its_gradient():
    cos, sin = (t.double() for t in rope_tables(8, 5, 10000.0))
    x = torch.randn(2, 3, 5, 8, dtype=torch.float64, requires_grad=True)
    assert torch.allclose(apply_rope(x, cos, sin), textbook_rope(x, cos, sin))
    assert torch.autograd.gradcheck(lambda x: apply_rope(x, cos, sin), (x,))
    g = torch.randn_like(x)
    ours, = torch.autograd.grad(apply_rope(x, cos, sin), x, g)
    theirs, = torch.autograd.grad(textbook_rope(x, cos, sin), x, g)
    assert torch.allclose(ours, theirs)


def test_rotation_in_the_token_major_layout_is_the_same_rotation():
    cos, sin = rope_tables(8, 5, 10000.0)
    x = torch.randn(2, 5, 3, 8)  # (B, T, H, D), as Attention turns queries and keys
    turned = apply_rope(x, cos[:, None], sin[:, None])
    assert torch.allclose(turned.transpose(1, 2), apply_rope(x.transpose(1, 2), cos, sin), atol=1e-6)


def test_rotation_keeps_bf16_activations_bf16():
    cos, sin = rope_tables(8, 5, 10000.0)
    x = torch.randn(1, 2, 5, 8).bfloat16().requires_grad_()
    y = apply_rope(x, cos, sin)
    y.sum().backward()
    assert y.dtype == torch.bfloat16 and x.grad.dtype == torch.bfloat16


def test_rms_norm_matches_torch_forward_and_backward():
    norm = RMSNorm(16, 1e-5).double()
    with torch.no_grad():
        norm.weight.normal_()
    x = torch.randn(3, 4, 16, dtype=torch.float64, requires_grad=True)
    expected = F.rms_norm(x, (16,), norm.weight, 1e-5)
    assert torch.allclose(norm(x), expected)
    assert torch.autograd.gradcheck(lambda x, w: torch.nn.functional.linear(norm(x), torch.eye(16, dtype=x.dtype)) * w,
                                    (x, torch.ones(16, dtype=torch.float64, requires_grad=True)))
    g = torch.randn_like(x)
    ours = torch.autograd.grad(norm(x), (x, norm.weight), g)
    theirs = torch.autograd.grad(expected, (x, norm.weight), g)
    for a, b in zip(ours, theirs):
        assert torch.allclose(a, b)


def test_rms_norm_writes_the_autocast_dtype_and_computes_in_float32():
    norm = RMSNorm(16, 1e-5)
    with torch.no_grad():
        norm.weight.normal_()
    x = (torch.randn(2, 3, 16) * 50).requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = norm(x)
    assert y.dtype == torch.bfloat16
    expected = F.rms_norm(x, (16,), norm.weight, 1e-5)
    assert torch.allclose(y.float(), expected, rtol=1e-2, atol=1e-2)
    y.float().sum().backward()
    assert x.grad.dtype == torch.float32 and norm.weight.grad.dtype == torch.float32


@pytest.mark.parametrize("grad", [False, True])
def test_rms_norm_of_bf16_input_stays_bf16(grad):
    norm = RMSNorm(16, 1e-5).bfloat16()
    x = torch.randn(1, 1, 16).bfloat16().requires_grad_(grad)
    y = norm(x)
    assert y.dtype == torch.bfloat16
    assert torch.allclose(y.float(), F.rms_norm(x.float(), (16,), norm.weight.float(), 1e-5), atol=2e-2)
