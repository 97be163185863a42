"""The span head's reader: one self-attention layer without the causal mask over the
core model's hidden states, then start and end scores for every token. Through it a
token sees the words after it too, which a causal model never shows it."""

from __future__ import annotations

from torch import nn

from llmcli.model.rms_norm import RMSNorm
from llmcli.model.rotary import apply_rope, rope_tables


class SpanReader(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.n_head = config.n_head
        self.norm = RMSNorm(config.n_embd, config.norm_eps)
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd, bias=False)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=False)
        self.scores = nn.Linear(config.n_embd, 2)
        for layer in (self.qkv, self.proj, self.scores):
            nn.init.normal_(layer.weight, std=0.02)
        nn.init.zeros_(self.scores.bias)

    def forward(self, hidden, cos, sin, pad):
        """(B, T, 2) start and end scores; `pad` (B, T) is True at padding, which no token
        attends to."""
        B, T, C = hidden.shape
        q, k, v = self.qkv(self.norm(hidden)).view(B, T, 3, self.n_head, C // self.n_head).permute(2, 0, 3, 1, 4)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        # explicit matmuls: faster than the fused kernel on a CPU at these sizes (see causal_attention)
        weights = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
        weights = weights.masked_fill(pad[:, None, None, :], float("-inf")).softmax(dim=-1)
        x = hidden + self.proj((weights @ v).transpose(1, 2).reshape(B, T, C))
        return self.scores(x)


def reader_tables(model, length: int):
    """The rotary tables (cos, sin) the reader turns its queries and keys with: the core
    model's own, or, for a model with learned positions (GPT-2), tables to the same recipe."""
    if hasattr(model, "rope_cos"):
        return model.rope_cos[:length], model.rope_sin[:length]
    cos, sin = rope_tables(model.config.head_dim, length, model.config.rope_theta)
    return cos.to(model.embed.weight.device), sin.to(model.embed.weight.device)
