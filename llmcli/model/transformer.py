"""The compact Transformer at the heart of llmcli: a decoder, or (config.causal False) an encoder.

Read top to bottom: the building blocks (attention with a KV cache, the two MLPs; the
RMSNorm and rotary embeddings, with backwards of their own, are rms_norm.py and
rotary.py), then the model itself. One file serves every family llmcli runs:
config fields choose the variants (model/config.py lists them), so llmcli's own model,
Llama (grouped-query attention), Qwen2 (q/k/v biases) and GPT-2 (LayerNorm, learned
positions, GELU, biases) are this same code. The config and the presets need no torch,
so that listing commands can read a model's shape.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint

from llmcli.model import native_kernels, row_split, tied_lookup, training_kernels
from llmcli.model.config import ModelConfig
from llmcli.model.fused_loss import linear_cross_entropy
from llmcli.model.fused_training import RotarySplit, SwiGLUFunction, grouped_causal_attention
from llmcli.model.rms_norm import RMSNorm, residual_rms_norm
from llmcli.model.rotary import rope_tables, rotate, signed
from llmcli.model.tied_lookup import lookup as tied_lookup_of


def norm_layer(config: ModelConfig) -> nn.Module:
    """RMSNorm (llmcli, Llama, Qwen2) or LayerNorm with a bias (GPT-2)."""
    if config.norm == "layer":
        return nn.LayerNorm(config.n_embd, eps=config.norm_eps)
    return RMSNorm(config.n_embd, config.norm_eps)


def causal_attention(q, k, v, dropout: float = 0.0):
    """Causal self-attention over whole sequences (training and scoring).

    On a CPU in bf16, explicit matmuls with an additive mask run forward and backward
    1.5-3x faster than PyTorch's fused CPU kernel at our sizes; elsewhere the fused
    kernel is the better choice.
    """
    if q.device.type != "cpu" or q.dtype != torch.bfloat16:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=dropout)
    # a compiled step builds the mask in its graph (Dynamo would trace past the cache, and warn)
    bias = (_causal_bias if torch.compiler.is_compiling() else causal_bias)(q.shape[-2], q.dtype)
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1) + bias
    weights = scores.softmax(dim=-1)
    if dropout:
        weights = F.dropout(weights, dropout)
    return weights @ v


def bidirectional_attention(q, k, v, padding=None, dropout: float = 0.0):
    """An encoder's self-attention: every token sees every other, except padding
    (`padding` (B, T), True at padding), which no token attends to. The same CPU bf16
    choice of kernel as causal_attention."""
    keep = None if padding is None else ~padding[:, None, None, :]
    if q.device.type != "cpu" or q.dtype != torch.bfloat16:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=dropout)
    scores = (q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)
    if keep is not None:
        scores = scores.masked_fill(~keep, float("-inf"))
    weights = scores.softmax(dim=-1)
    if dropout:
        weights = F.dropout(weights, dropout)
    return weights @ v


def _causal_bias(length: int, dtype: torch.dtype) -> torch.Tensor:
    """0 on and below the diagonal, -inf above: added to attention scores."""
    return torch.full((length, length), float("-inf"), dtype=dtype).triu(diagonal=1)


causal_bias = functools.lru_cache(maxsize=8)(_causal_bias)


class KVCache:
    """Keys and values of every layer, filled as generation proceeds. The room grows with
    use, CHUNK positions at first and doubling up to the context, so that a model with a
    long context (8,192 positions) costs only what a generation reaches. Each layer has
    tensors of its own (B, kv heads, room, D): a compiled step (compiled_decode.py) writes
    into one layer's without copying every layer's."""

    CHUNK = 256

    def __init__(self, config: ModelConfig, batch: int, device, dtype):
        empty = (batch, config.n_kv_head, 0, config.head_dim)  # made room for by make_room
        self.k = [torch.zeros(empty, device=device, dtype=dtype) for _ in range(config.n_layer)]
        self.v = [torch.zeros(empty, device=device, dtype=dtype) for _ in range(config.n_layer)]
        self.length = 0  # positions filled so far
        self.limit = config.context

    @property
    def capacity(self) -> int:
        return self.k[0].shape[2]

    def make_room(self, end: int) -> None:
        """Room for positions up to `end`; the positions filled so far are copied over."""
        if end <= self.capacity:
            return
        capacity = max(self.CHUNK, self.capacity)
        while capacity < end:
            capacity *= 2
        room = max(end, min(capacity, self.limit))
        self.k = [self._moved(t, room) for t in self.k]
        self.v = [self._moved(t, room) for t in self.v]

    def _moved(self, t, room: int):
        bigger = t.new_zeros((*t.shape[:2], room, t.shape[3]))
        bigger[:, :, : self.length] = t[:, :, : self.length]
        return bigger

    def update(self, layer: int, k, v):
        """Store a layer's new keys and values (B, H, T, D) after those filled so far;
        returns all of them. `length` moves on once every layer has stored its own."""
        end = self.length + k.shape[2]
        self.k[layer][:, :, self.length : end] = k
        self.v[layer][:, :, self.length : end] = v
        return self.k[layer][:, :, :end], self.v[layer][:, :, :end]

    def reorder(self, index):
        """Keep the batch rows in `index` (beam search). Only the positions filled so far
        are copied: the rest is written before it is ever read."""
        self.k = [self._rows(t, index) for t in self.k]
        self.v = [self._rows(t, index) for t in self.v]

    def _rows(self, t, index):
        kept = t.new_empty((len(index), *t.shape[1:]))
        kept[:, :, : self.length] = t[:, :, : self.length].index_select(0, index)
        return kept


class Attention(nn.Module):
    """Causal self-attention (bidirectional in an encoder, config.causal False). With
    n_kv_head < n_head (grouped-query attention), each key and value head serves
    n_head / n_kv_head query heads in a row."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.n_head, self.n_kv_head, self.head_dim = config.n_head, config.n_kv_head, config.head_dim
        # q rows, then k rows, then v rows
        self.qkv = nn.Linear(config.n_embd, (config.n_head + 2 * config.n_kv_head) * config.head_dim,
                             bias=config.qkv_bias)
        self.proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = config.dropout
        self.causal = config.causal

    def forward(self, x, cos, sin, cache: KVCache | None = None, layer: int = 0, padding=None):
        """x (B, T, C); cos and sin: the rotary tables of x's positions, sin signed
        (rotary.signed), or None for learned positions."""
        B, T, C = x.shape
        heads = row_split.linear(self.qkv, x).view(B, T, -1, self.head_dim)
        if cache is None and cos is not None and self.causal and torch.is_grad_enabled() and training_kernels.fits(heads):
            # training on a CPU: the turn, the split and the softmax in fused kernels
            q, k, v = RotarySplit.apply(heads, cos, sin, self.n_head, self.n_kv_head)
            y = grouped_causal_attention(q, k, v, self.dropout if self.training else 0.0)
            return row_split.linear(self.proj, y.transpose(1, 2).reshape(B, T, C))
        qk, v = heads[:, :, : self.n_head + self.n_kv_head], heads[:, :, self.n_head + self.n_kv_head :]
        if cos is not None:  # rotary positions (learned ones were added to the embeddings)
            # queries and keys turn together, in the (B, T, heads, D) layout the matmul wrote
            qk = rotate(qk, cos[:, None], sin[:, None])
        q, k = qk.transpose(1, 2).split([self.n_head, self.n_kv_head], dim=1)
        v = v.transpose(1, 2)
        if cache is None:
            k, v = self.shared_kv(k), self.shared_kv(v)
            dropout = self.dropout if self.training else 0.0
            # right padding never reaches a causal model's real tokens; an encoder must mask it
            y = causal_attention(q, k, v, dropout) if self.causal else bidirectional_attention(q, k, v, padding, dropout)
        else:
            start = cache.length
            k, v = cache.update(layer, k, v)
            q = q.to(k.dtype)
            if T == 1:  # one query per head: the query heads of a key-value head share its keys in place
                group = self.n_head // self.n_kv_head
                grouped = q.reshape(B, self.n_kv_head, group, self.head_dim)
                if native_kernels.decode_attention_fits(grouped, k):  # loaded for quantized generation
                    y = native_kernels.decode_attention(grouped, k, v)
                else:
                    y = F.scaled_dot_product_attention(grouped, k, v)
                y = y.reshape(B, self.n_head, 1, self.head_dim)
            else:
                # queries at positions start..end-1 see every key up to their own position
                mask = torch.ones(T, k.shape[2], dtype=torch.bool, device=x.device).tril(diagonal=start)
                y = F.scaled_dot_product_attention(q, self.shared_kv(k), self.shared_kv(v), attn_mask=mask)
            y = y.to(x.dtype)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))

    def shared_kv(self, x):
        """Key or value heads repeated for the query heads they serve (B, n_head, T, D)."""
        group = self.n_head // self.n_kv_head
        return x if group == 1 else x.repeat_interleave(group, dim=1)


class SwiGLU(nn.Module):
    """llmcli, Llama and Qwen2's MLP: gate rows, then up rows, in one matrix."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.gate_up = nn.Linear(config.n_embd, 2 * config.ffn_hidden, bias=config.bias)
        self.down = nn.Linear(config.ffn_hidden, config.n_embd, bias=config.bias)

    def forward(self, x):
        h = row_split.linear(self.gate_up, x)
        if torch.is_grad_enabled() and training_kernels.fits(h):
            return row_split.linear(self.down, SwiGLUFunction.apply(h))  # one pass each way, no cat in backward
        gate, up = h.chunk(2, dim=-1)
        return self.down(F.silu(gate) * up)


class GeluMLP(nn.Module):
    """GPT-2's MLP, with the tanh approximation of GELU that GPT-2 was trained with."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.up = nn.Linear(config.n_embd, config.ffn_hidden, bias=config.bias)
        self.down = nn.Linear(config.ffn_hidden, config.n_embd, bias=config.bias)

    def forward(self, x):
        return self.down(F.gelu(self.up(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.attn_norm = norm_layer(config)
        self.attn = Attention(config)
        self.mlp_norm = norm_layer(config)
        self.mlp = SwiGLU(config) if config.mlp == "swiglu" else GeluMLP(config)
        # none without dropout: at one token a step, even an idle module call costs
        self.dropout = nn.Dropout(config.dropout) if config.dropout else None

    def forward(self, x, cos, sin, cache=None, layer=0, padding=None, normed=None, next_norm=None):
        """x out; with next_norm (Transformer.hidden_states, training), the pair (x out,
        next_norm(x out)) from x and normed = attn_norm(x), as forward_normed computes it."""
        if next_norm is not None:
            return self.forward_normed(x, normed, cos, sin, next_norm, padding)
        h = self.attn(self.attn_norm(x), cos, sin, cache, layer, padding)
        x = x + (h if self.dropout is None else self.dropout(h))
        h = self.mlp(self.mlp_norm(x))
        return x + (h if self.dropout is None else self.dropout(h))

    def forward_normed(self, x, normed, cos, sin, next_norm: nn.Module, padding=None):
        """The block from x and attn_norm(x), to (x out, next_norm(x out)): each residual add
        and the norm after it in one operation (rms_norm.residual_rms_norm). For training
        without dropout, where Transformer.hidden_states chains the blocks so (through
        forward, so that the module's hooks run)."""
        x, normed = residual_rms_norm(self.mlp_norm, x, self.attn(normed, cos, sin, padding=padding))
        return residual_rms_norm(next_norm, x, self.mlp(normed))


class Transformer(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd)
        # GPT-2 learns a vector per position; the others rotate queries and keys instead
        self.pos_embed = nn.Embedding(config.context, config.n_embd) if config.positions == "learned" else None
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.norm = norm_layer(config)
        # the output layer: the embedding itself when tied, else a matrix of its own
        self.output = None if config.tied_output else nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.positions == "rope":
            cos, sin = rope_tables(config.head_dim, config.context, config.rope_theta)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        # for generation, quantize.py may set an int8 or int4 copy of the output layer here
        # (made at load time, never saved)
        self.quantized_output = None
        # training may trade compute for memory: each block's activations recomputed in backward
        self.checkpoint_activations = False
        self.apply(self._init_weights)
        # GPT-2's scaled init for the projections that write into the residual stream
        for name, p in self.named_parameters():
            if name.endswith(("attn.proj.weight", "mlp.down.weight")):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    @property
    def output_weight(self) -> torch.Tensor:
        """The (vocab, n_embd) matrix that turns hidden states into logits."""
        return self.embed.weight if self.output is None else self.output.weight

    def check_fits(self, length: int) -> None:
        """A ValueError where a sequence of `length` tokens would not fit the context."""
        if length > self.config.context:
            raise ValueError(f"sequence of {length} tokens exceeds the context of {self.config.context}")

    def hidden_states(self, idx, cache: KVCache | None = None, padding=None, tied_lookup: bool = False):
        """Final normalized hidden states (B, T, n_embd): what task heads build on.
        `padding` (B, T), True at right padding, matters to an encoder only. tied_lookup:
        the look-up's gradient goes into the rows of the output layer's (tied_lookup.py)."""
        T = idx.shape[1]
        if cache is not None and not self.config.causal:
            raise ValueError("an encoder (causal: false) does not generate: it has no KV cache")
        start = cache.length if cache is not None else 0
        self.check_fits(start + T)
        x = tied_lookup_of(self.embed.weight, idx) if tied_lookup else self.embed(idx)
        cos = sin = None
        if self.pos_embed is not None:
            x = x + self.pos_embed(torch.arange(start, start + T, device=idx.device))
        else:
            cos = self.rope_cos[start : start + T].to(self.embed.weight.dtype)
            sin = signed(self.rope_sin[start : start + T]).to(self.embed.weight.dtype)
        if cache is not None:
            cache.make_room(start + T)
        recompute = self.checkpoint_activations and self.training and torch.is_grad_enabled()
        if self._chains_norms(x, cache):
            return self._blocks_with_residual_norms(x, cos, sin, padding, recompute)
        for i, block in enumerate(self.blocks):
            if recompute:
                x = torch.utils.checkpoint.checkpoint(block, x, cos, sin, None, 0, padding, use_reentrant=False)
            else:
                x = block(x, cos, sin, cache, i, padding)
        if cache is not None:
            cache.length += T
        return self.norm(x)

    def _chains_norms(self, x, cache) -> bool:
        """Whether each residual add can go with the norm after it (Block.forward_normed):
        training on a CPU with llmcli's kernels, RMSNorm, no dropout, no cache."""
        return (cache is None and torch.is_grad_enabled() and self.config.norm == "rms" and not self.config.dropout
                and len(self.blocks) > 0 and training_kernels.fits(x))

    def _blocks_with_residual_norms(self, x, cos, sin, padding, recompute):
        """The blocks, each handing the next its output and that output normalized by the
        next norm (the next block's attn_norm, or the final norm); the final normed states."""
        normed = self.blocks[0].attn_norm(x)
        for i, block in enumerate(self.blocks):
            after = self.blocks[i + 1].attn_norm if i + 1 < len(self.blocks) else self.norm
            if recompute:
                x, normed = torch.utils.checkpoint.checkpoint(block, x, cos, sin, None, 0, padding, normed, after,
                                                              use_reentrant=False)
            else:
                x, normed = block(x, cos, sin, None, 0, padding, normed, after)
        return normed

    def logits(self, hidden):
        if self.quantized_output is not None:
            return self.quantized_output(hidden)
        return F.linear(hidden, self.output_weight)

    def forward(self, idx, targets=None, loss_mask=None, cache: KVCache | None = None):
        """Logits (B, T, vocab); with targets, also the mean cross-entropy over unmasked tokens.

        When training (gradients on), the loss is computed chunk by chunk without ever
        holding all the logits, and the logits returned are None.
        """
        training = targets is not None and torch.is_grad_enabled()
        # a tied embedding trained on a CPU: the look-up's gradient added by row into the loss's
        tied = (training and self.output is None and self.embed.weight.requires_grad
                and training_kernels.fits(self.embed.weight) and tied_lookup.fits())
        hidden = self.hidden_states(idx, cache, tied_lookup=tied)
        if training:
            return None, linear_cross_entropy(hidden, self.output_weight, targets, loss_mask)
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
        """Parameter count; a tied embedding counts once."""
        return sum(p.numel() for p in self.parameters())

    def flops_per_token(self, seq_len: int | None = None) -> int:
        """Training FLOPs (forward and backward) per token, as in the PaLM paper's appendix:
        6 per parameter of a matrix multiply plus attention. A tied embedding counts as the
        output matmul; with an output layer of its own, the embedding and a position table
        are look-ups and do not count."""
        c = self.config
        T = seq_len or c.context
        matmul_params = self.num_params()
        if self.output is not None:
            matmul_params -= self.embed.weight.numel()
        if self.pos_embed is not None:
            matmul_params -= self.pos_embed.weight.numel()
        return 6 * matmul_params + 12 * c.n_layer * c.n_embd * T
