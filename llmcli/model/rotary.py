"""Rotary position embeddings, rotate-half layout (Hugging Face's Llama checkpoints): the
two halves of each head turn together.

rotate_half(x) * sin is x with its halves swapped times sin with its first half negated,
so with that signed table a rotation is three operations, and its backward (the
transpose: the same rotation backwards) three more. Autograd of the textbook form (a
cat of a negated slice, two products, two gradient flows to add) cost a `small` training
step a tenth of its time.
"""

from __future__ import annotations

import torch


def rope_tables(head_dim: int, length: int, theta: float):
    """cos and sin tables of shape (length, head_dim), each half the same angles."""
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def signed(sin):
    """The sin table with its first half negated: what `rotate` takes."""
    half = sin.shape[-1] // 2
    return torch.cat([-sin[..., :half], sin[..., half:]], dim=-1)


def apply_rope(x, cos, sin):
    """x: (B, H, T, D) with cos, sin (T, D) from rope_tables, or any layout the tables
    broadcast to ((B, T, H, D) with (T, 1, D))."""
    return rotate(x, cos, signed(sin))


def rotate(x, cos, signed_sin):
    """apply_rope with the sin table already signed (once per forward, not per layer)."""
    # tables in x's dtype, so that bf16 activations stay bf16 under autocast
    cos, signed_sin = cos.to(x.dtype), signed_sin.to(x.dtype)
    if torch.is_grad_enabled() and x.requires_grad:
        return _Rotation.apply(x, cos, signed_sin)
    return _turned(x, cos, signed_sin)  # without autograd's Function: a token's step is all small ops


def _turned(x, cos, signed_sin):
    return torch.addcmul(x * cos, _swap_halves(x), signed_sin)


class _Rotation(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, cos, signed_sin):
        ctx.save_for_backward(cos, signed_sin)
        return _turned(x, cos, signed_sin)

    @staticmethod
    def backward(ctx, grad):
        cos, signed_sin = ctx.saved_tensors
        return grad * cos + _swap_halves(grad * signed_sin), None, None


def _swap_halves(x):
    """The last dimension's halves in the other order (a cat of two slices copies faster
    than x.roll does)."""
    half = x.shape[-1] // 2
    return torch.cat([x[..., half:], x[..., :half]], dim=-1)
