"""Autograd functions over the training kernels (training_kernels.py) for the Transformer's
SwiGLU and attention; the RMSNorm's and the loss's are in rms_norm.py and fused_loss.py.

The callers take these only where training_kernels.fits says so, and keep torch's
operations otherwise: the values are the same, but each of these is one pass over memory
forward and one backward, where torch's composite makes several and autograd adds more.
"""

from __future__ import annotations

import torch

from llmcli.model.training_kernels import ops


class SwiGLUFunction(torch.autograd.Function):
    """silu(gate) * up for gate_up (..., 2F): gate rows first, as SwiGLU's matrix holds them."""

    @staticmethod
    def forward(ctx, gate_up):
        ctx.save_for_backward(gate_up)
        return ops().swiglu(gate_up)

    @staticmethod
    def backward(ctx, grad):
        (gate_up,) = ctx.saved_tensors
        return ops().swiglu_backward(grad, gate_up)


class RotarySplit(torch.autograd.Function):
    """The qkv product's heads (B, T, q + 2 kv heads, D) to attention's q (B, q heads, T, D)
    and k, v (B, kv heads, T, D), queries and keys turned by the rotary tables (T, D) (sin
    signed, rotary.signed): the turn, the split and the transposes in one pass."""

    @staticmethod
    def forward(ctx, heads, cos, signed_sin, q_heads: int, kv_heads: int):
        ctx.save_for_backward(cos, signed_sin)
        return tuple(ops().rotary_split(heads, cos, signed_sin, q_heads, kv_heads))

    @staticmethod
    def backward(ctx, dq, dk, dv):
        cos, signed_sin = ctx.saved_tensors
        return ops().rotary_split_backward(dq, dk, dv, cos, signed_sin), None, None, None, None


class CausalSoftmax(torch.autograd.Function):
    """softmax(scale * scores) over the keys up to each row's position (zeros after it), in
    place; row r's position is r % period."""

    @staticmethod
    def forward(ctx, scores, scale: float, period: int):
        ops().causal_softmax_(scores, scale, period)
        ctx.mark_dirty(scores)
        ctx.save_for_backward(scores)
        ctx.scale, ctx.period = scale, period
        return scores

    @staticmethod
    def backward(ctx, grad):
        (weights,) = ctx.saved_tensors
        return ops().causal_softmax_backward(grad, weights, ctx.scale, ctx.period), None, None


def grouped_causal_attention(q, k, v, dropout: float = 0.0):
    """Causal attention for q (B, H, T, D) and k, v (B, kv heads, T, D), contiguous: the
    query heads of a key-value head are stacked as one matrix of rows, so that keys and
    values are never repeated for grouped-query attention."""
    B, H, T, D = q.shape
    kv_heads = k.shape[1]
    grouped = q.view(B, kv_heads, (H // kv_heads) * T, D)
    weights = CausalSoftmax.apply(grouped @ k.transpose(-2, -1), D**-0.5, T)
    if dropout:
        weights = torch.nn.functional.dropout(weights, dropout)
    return (weights @ v).view(B, H, T, D)
