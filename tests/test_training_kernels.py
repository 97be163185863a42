"""llmcli's fused training kernels (model/training_kernels.py, kernels/training_ops.cpp):
each forward and backward against torch's own operations, in float32 and bf16, and a
whole model's loss and gradients with the kernels on and off."""

import pytest
import torch
import torch.nn.functional as F

from llmcli.model import native_kernels, training_kernels
from llmcli.model.config import ModelConfig
from llmcli.model.fused_training import CausalSoftmax, RotarySplit, SwiGLUFunction, grouped_causal_attention
from llmcli.model.rms_norm import RMSNorm, residual_rms_norm
from llmcli.model.rotary import rope_tables, rotate, signed
from llmcli.model.transformer import Transformer
from llmcli.training.devices import autocast

needs_kernels = pytest.mark.skipif(not training_kernels.load(), reason="no C++ compiler here")
DTYPES = [(torch.float32, 1e-5), (torch.bfloat16, 0.02)]  # and how close, relative to the largest value


def close(ours, reference, within):
    return (ours.float() - reference.float()).abs().max() <= within * reference.float().abs().max()


def grads_of(fn, *inputs, grad_out):
    """fn's outputs and the gradients of its inputs for the given output gradient(s)."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs]
    out = fn(*leaves)
    outs = out if isinstance(out, tuple) else (out,)
    grads = grad_out if isinstance(grad_out, tuple) else (grad_out,)
    torch.autograd.backward(outs, grads)
    return outs, [t.grad for t in leaves]


@needs_kernels
@pytest.mark.parametrize("dtype, within", DTYPES)
def test_swiglu_forward_and_backward_are_torchs(dtype, within):
    torch.manual_seed(0)
    gate_up = (torch.randn(3, 5, 2 * 40) * 3).to(dtype)
    grad = torch.randn(3, 5, 40).to(dtype)

    def reference(h):
        gate, up = h.float().chunk(2, dim=-1)
        return F.silu(gate) * up

    (ours,), (ours_grad,) = grads_of(SwiGLUFunction.apply, gate_up, grad_out=grad)
    (theirs,), (their_grad,) = grads_of(reference, gate_up, grad_out=grad.float())
    assert ours.dtype == dtype and close(ours, theirs, within) and close(ours_grad, their_grad, within)


@needs_kernels
@pytest.mark.parametrize("dtype, within", DTYPES)
def test_rms_norm_forward_and_backward_are_torchs(dtype, within):
    torch.manual_seed(1)
    norm = RMSNorm(48, 1e-5)
    norm.weight.data = torch.rand(48) + 0.5
    x = (torch.randn(4, 7, 48) * 2).to(dtype)
    grad = torch.randn(4, 7, 48).to(dtype)
    results = {}
    for native in (True, False):
        training_kernels._loaded = native
        norm.weight.grad = None
        (y,), (dx,) = grads_of(norm, x, grad_out=grad)
        results[native] = y, dx, norm.weight.grad.clone()
    training_kernels._loaded = True
    for ours, theirs in zip(results[True], results[False]):
        assert ours.dtype == theirs.dtype and close(ours, theirs, within)


@needs_kernels
@pytest.mark.parametrize("h_dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("sum_used", [True, False])
def test_the_residual_add_and_norm_are_the_two_operations(h_dtype, sum_used):
    """x + h and its norm, fused, give what the add and RMSNorm's kernel give, to the bit: the sum
    (float32), the bf16 norm, and the gradients of x, of h (in h's dtype) and of the weight,
    whether or not the sum goes on to the stream (it does not after the last block)."""
    torch.manual_seed(2)
    norm = RMSNorm(40, 1e-5)
    norm.weight.data = torch.rand(40) + 0.5
    x, h = torch.randn(3, 6, 40) * 2, torch.randn(3, 6, 40).to(h_dtype)
    grad_y = torch.randn(3, 6, 40).to(torch.bfloat16)
    grad_sum = torch.randn(3, 6, 40) if sum_used else None
    results = {}
    for fused in (True, False):
        norm.weight.grad = None
        leaves = [x.clone().requires_grad_(), h.clone().requires_grad_()]
        with autocast(torch.device("cpu"), "bf16"):
            total, y = residual_rms_norm(norm, *leaves) if fused else (leaves[0] + leaves[1], None)
            y = norm(total) if y is None else y
        torch.autograd.backward((total, y) if sum_used else (y,), (grad_sum, grad_y) if sum_used else (grad_y,))
        results[fused] = total, y, leaves[0].grad, leaves[1].grad, norm.weight.grad.clone()
    for ours, theirs in zip(results[True], results[False]):
        assert ours.dtype == theirs.dtype and torch.equal(ours, theirs)
    assert results[True][1].dtype == torch.bfloat16 and results[True][3].dtype == h_dtype


@needs_kernels
def test_chaining_the_norms_through_the_blocks_changes_no_gradient(monkeypatch):
    """Training with kernels, Transformer.hidden_states hands each block its input already
    normalized (Block.forward_normed); the loss and every gradient equal the blocks' own
    forward's, activation checkpointing included."""
    model = tiny_llama()
    x, y = torch.randint(0, 97, (2, 24)), torch.randint(0, 97, (2, 24))
    assert model._chains_norms(torch.zeros(1), None)
    results = []
    for chained, recompute in ((True, False), (False, False), (True, True)):
        monkeypatch.setattr(Transformer, "_chains_norms", (lambda self, h, cache: chained))
        model.checkpoint_activations = recompute
        torch.manual_seed(6)
        results.append(loss_and_grads(model, x, y, None, "fp32"))
    for loss, grads in results[1:]:
        assert torch.allclose(loss, results[0][0], rtol=1e-6)
        for name, grad in grads.items():
            assert torch.allclose(results[0][1][name], grad, rtol=1e-5, atol=1e-7), name


@needs_kernels
@pytest.mark.parametrize("dtype, within", DTYPES)
def test_the_rotary_split_turns_and_lays_out_as_torch_does(dtype, within):
    torch.manual_seed(2)
    B, T, D, q_heads, kv_heads = 2, 9, 16, 4, 2
    heads = torch.randn(B, T, q_heads + 2 * kv_heads, D).to(dtype)
    cos, sin = rope_tables(D, T, 10000.0)
    grads = tuple(torch.randn(B, n, T, D).to(dtype) for n in (q_heads, kv_heads, kv_heads))

    def reference(h):
        h = h.float()
        qk = rotate(h[:, :, : q_heads + kv_heads], cos[:, None], signed(sin)[:, None])
        q, k = qk.transpose(1, 2).split([q_heads, kv_heads], dim=1)
        return q, k, h[:, :, q_heads + kv_heads :].transpose(1, 2)

    ours, (ours_grad,) = grads_of(lambda h: RotarySplit.apply(h, cos, signed(sin), q_heads, kv_heads), heads,
                                  grad_out=grads)
    theirs, (their_grad,) = grads_of(reference, heads, grad_out=tuple(g.float() for g in grads))
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.is_contiguous() and close(a, b, within)
    assert close(ours_grad, their_grad, within)


@needs_kernels
@pytest.mark.parametrize("dtype, within", DTYPES)
@pytest.mark.parametrize("group", [1, 3])
def test_grouped_causal_attention_is_torchs_causal_attention(dtype, within, group):
    """With 3 query heads a key-value head, keys and values are shared, not repeated."""
    torch.manual_seed(3)
    B, kv_heads, T, D = 2, 2, 11, 16
    q = torch.randn(B, kv_heads * group, T, D).to(dtype)
    k, v = torch.randn(B, kv_heads, T, D).to(dtype), torch.randn(B, kv_heads, T, D).to(dtype)
    grad = torch.randn(B, kv_heads * group, T, D).to(dtype)

    def reference(q, k, v):
        k, v = (t.float().repeat_interleave(group, dim=1) for t in (k, v))
        return F.scaled_dot_product_attention(q.float(), k, v, is_causal=True)

    (ours,), ours_grads = grads_of(grouped_causal_attention, q, k, v, grad_out=grad)
    (theirs,), their_grads = grads_of(reference, q, k, v, grad_out=grad.float())
    assert close(ours, theirs, within)
    for a, b in zip(ours_grads, their_grads):
        assert close(a, b, 2 * within)


@needs_kernels
def test_the_causal_softmax_sees_no_key_after_its_position():
    scores = torch.randn(1, 6, 3)  # two runs of 3 rows: positions 0, 1, 2, 0, 1, 2
    weights = CausalSoftmax.apply(scores.clone(), 1.0, 3)
    assert torch.equal(weights[0, [0, 3], 1:], torch.zeros(2, 2)) and torch.equal(weights[0, [1, 4], 2], torch.zeros(2))
    assert torch.equal(weights[0, [0, 3], 0], torch.ones(2))
    assert torch.allclose(weights.sum(-1), torch.ones(1, 6))


def tiny_llama(**overrides) -> Transformer:
    torch.manual_seed(4)
    config = dict(vocab_size=97, n_layer=2, n_head=4, n_kv_head=2, n_embd=64, context=32, qkv_bias=True)
    return Transformer(ModelConfig(**{**config, **overrides}))


def loss_and_grads(model, x, y, mask, precision):
    model.zero_grad(set_to_none=True)
    with autocast(torch.device("cpu"), precision):
        _, loss = model(x, y, mask)
    loss.backward()
    return loss.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}


@needs_kernels
@pytest.mark.parametrize("precision, within, overrides", [
    ("fp32", 1e-4, {}), ("bf16", 0.05, {}),
    ("fp32", 1e-4, dict(dropout=0.1, n_kv_head=4)),  # the same dropout masks drawn in the same order
])
def test_a_models_loss_and_gradients_are_the_same_with_and_without_the_kernels(precision, within, overrides):
    """GQA, q/k/v biases, a loss mask (and dropout): every parameter's gradient agrees."""
    model = tiny_llama(**overrides)
    x, y = torch.randint(0, 97, (3, 32)), torch.randint(0, 97, (3, 32))
    mask = torch.rand(3, 32) > 0.3
    torch.manual_seed(6)
    ours = loss_and_grads(model, x, y, mask, precision)
    training_kernels._loaded = False
    try:
        torch.manual_seed(6)
        theirs = loss_and_grads(model, x, y, mask, precision)
    finally:
        training_kernels._loaded = True
    assert torch.allclose(ours[0], theirs[0], rtol=within / 10)
    for name, grad in theirs[1].items():
        assert close(ours[1][name], grad, within), name


@needs_kernels
def test_the_cross_entropy_kernel_is_torchs_loss_and_gradient():
    torch.manual_seed(5)
    logits = torch.randn(7, 300) * 4
    targets = torch.randint(0, 300, (7,))
    weights = torch.rand(7)
    reference = logits.clone().requires_grad_()
    (F.cross_entropy(reference, targets, reduction="none") * weights).sum().backward()
    grad = logits.clone()
    loss = training_kernels.ops().cross_entropy_(grad, targets, weights)
    expected = (F.cross_entropy(logits, targets, reduction="none") * weights).sum()
    assert torch.allclose(loss, expected, rtol=1e-5) and torch.allclose(grad, reference.grad, atol=1e-6)


def test_no_kernels_when_turned_off(monkeypatch):
    monkeypatch.setenv("LLMCLI_NATIVE_KERNELS", "0")
    assert native_kernels.build_and_load(training_kernels.TRAINING) is False
