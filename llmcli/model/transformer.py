"""The compact decoder-only Transformer at the heart of llmcli.

Read top to bottom: the building blocks (RMSNorm, rotary embeddings, attention with a KV
cache, SwiGLU), then the model itself. Its config and the presets are in model/config.py,
which needs no torch, so that listing commands can read a model's shape.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from llmcli.model.config import ModelConfig
from llmcli.model.fused_loss import linear_cross_entropy


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps)


def rope_tables(head_dim: int, length: int, theta: float):
    """cos and sin tables of shape (length, head_dim) for rotate-half rotary embeddings."""
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(length, dtype=torch.float32), inv_freq)
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """x: (B, H, T, D); cos, sin: (T, D)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    # tables in x's dtype, so that bf16 activations stay bf16 under autocast
    return x * cos.to(x.dtype) + rotated * sin.to(x.dtype)


def causal_attention(q, k, v, dropout: float = 0.0):
    """Causal self-attention over whole sequences (training and scoring).

    On a CPU in bf16, explicit matmuls with an additive mask run forward and backward
    1.5-3x faster than PyTorch's fused CPU kernel at our sizes; elsewhere the fused
    kernel is the better choice.
    """
    if q.device.type != "cpu" or q.dtype != torch.bfloat16:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout)
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1) + causal_bias(q.shape[-2], q.dtype)
    weights = scores.softmax(dim=-1)
    if dropout:
        weights = F.dropout(weights, dropout)
    return weights @ v


@functools.lru_cache(maxsize=8)
def causal_bias(length: int, dtype: torch.dtype) -> torch.Tensor:
    """0 on and below the diagonal, -inf above: added to attention scores."""
    return torch.full((length, length), float("-inf"), dtype=dtype).triu(diagonal=1)


class KVCache:
    """Preallocated keys and values for every layer, filled as generation proceeds."""

    def __init__(self, config: ModelConfig, batch: int, device, dtype):
        shape = (config.n_layer, batch, config.n_head, config.context, config.head_dim)
        self.k = torch.zeros(shape, device=device, dtype=dtype)
        self.v = torch.zeros(shape, device=device, dtype=dtype)
        self.length = 0  # positions filled so far
        self.capacity = config.context

    def reorder(self, index):
        """Keep the batch rows in `index` (beam search). Only the positions filled so far
        are copied: the rest is written before it is ever read."""
        shape = (self.k.shape[0], len(index), *self.k.shape[2:])
        k, v = self.k.new_empty(shape), self.v.new_empty(shape)
        k[:, :, :, : self.length] = self.k[:, :, :, : self.length].index_select(1, index)
        v[:, :, :, : self.length] = self.v[:, :, :, : self.length].index_select(1, index)
        self.k, self.v = k, v


class Attention(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.n_head = config.n_head
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=False)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.dropout = config.dropout

    def forward(self, x, cos, sin, cache: KVCache | None = None, layer: int = 0):
        B, T, C = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is None:
            y = causal_attention(q, k, v, self.dropout if self.training else 0.0)
        else:
            start = cache.length
            end = start + T
            cache.k[layer, :, :, start:end] = k
            cache.v[layer, :, :, start:end] = v
            k, v = cache.k[layer, :, :, :end], cache.v[layer, :, :, :end]
            q = q.to(k.dtype)
            if T == 1:
                y = F.scaled_dot_product_attention(q, k, v)
            else:
                # queries at positions start..end-1 see every key up to their own position
                mask = torch.ones(T, end, dtype=torch.bool, device=x.device).tril(diagonal=start)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
            y = y.to(x.dtype)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class SwiGLU(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.gate_up = nn.Linear(config.n_embd, 2 * config.ffn_hidden, bias=False)
        self.down = nn.Linear(config.ffn_hidden, config.n_embd, bias=False)

    def forward(self, x):
        gate, up = self.gate_up(x).chunk(2, dim=-1)
        return self.down(F.silu(gate) * up)


class Block(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.attn_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.attn = Attention(config)
        self.mlp_norm = RMSNorm(config.n_embd, config.norm_eps)
        self.mlp = SwiGLU(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, cos, sin, cache=None, layer=0):
        x = x + self.dropout(self.attn(self.attn_norm(x), cos, sin, cache, layer))
        return x + self.dropout(self.mlp(self.mlp_norm(x)))


class Transformer(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.norm = RMSNorm(config.n_embd, config.norm_eps)
        cos, sin = rope_tables(config.head_dim, config.context, config.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        # the output layer is the tied embedding; for generation, quantize.py may set an int8
        # copy of it here (made at load time, never saved)
        self.int8_output = None
        self.apply(self._init_weights)
        # GPT-2's scaled init for the projections that write into the residual stream
        for name, p in self.named_parameters():
            if name.endswith(("attn.proj.weight", "mlp.down.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def hidden_states(self, idx, cache: KVCache | None = None):
        """Final normalized hidden states (B, T, n_embd): what task heads build on."""
        T = idx.shape[1]
        start = cache.length if cache is not None else 0
        if start + T > self.config.context:
            raise ValueError(f"sequence of {start + T} tokens exceeds the context of {self.config.context}")
        cos = self.rope_cos[start : start + T].to(self.embed.weight.dtype)
        sin = self.rope_sin[start : start + T].to(self.embed.weight.dtype)
        x = self.embed(idx)
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, cache, i)
        if cache is not None:
            cache.length += T
        return self.norm(x)

    def logits(self, hidden):
        if self.int8_output is not None:
            return self.int8_output(hidden)
        return F.linear(hidden, self.embed.weight)  # tied input/output embeddings

    def forward(self, idx, targets=None, loss_mask=None, cache: KVCache | None = None):
        """Logits (B, T, vocab); with targets, also the mean cross-entropy over unmasked tokens.

        When training (gradients on), the loss is computed chunk by chunk without ever
        holding all the logits, and the logits returned are None.
        """
        hidden = self.hidden_states(idx, cache)
        if targets is not None and torch.is_grad_enabled():
            return None, linear_cross_entropy(hidden, self.embed.weight, targets, loss_mask)
        logits = self.logits(hidden)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="none")
        if loss_mask is None:
            return logits, loss.mean()
        mask = loss_mask.flatten().to(loss.dtype)
        return logits, (loss * mask).sum() / mask.sum().clamp(min=1)

    def new_cache(self, batch: int = 1) -> KVCache:
        device, dtype = self.embed.weight.device, self.embed.weight.dtype
        if device.type == "cpu":
            dtype = torch.float32  # PyTorch's CPU attention is far slower in bf16 at one query
        return KVCache(self.config, batch, device, dtype)

    def num_params(self) -> int:
        """Parameter count; the tied embedding counts once."""
        return sum(p.numel() for p in self.parameters())

    def flops_per_token(self, seq_len: int | None = None) -> int:
        """Training FLOPs (forward and backward) per token, as in the PaLM paper's appendix:
        6 per parameter (the tied embedding counts as the output matmul) plus attention."""
        c = self.config
        T = seq_len or c.context
        return 6 * self.num_params() + 12 * c.n_layer * c.n_embd * T
