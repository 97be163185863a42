"""One-token decoding steps in a single call of llmcli's kernels (kernels/decode_step.cpp).

A quantized model's one-token step, eager, is about 1,300 small PyTorch operations on
vectors of a few hundred floats besides its products, and each costs microseconds of
dispatch: for SmolLM2-135M with int4 weights they took longer than reading the weights.
decode_step runs every layer in C++ instead (norms, rotary positions, the KV cache's
update, attention, SwiGLU, the residuals, in float32), calling the int4/int8 products
on the packed weights the model already holds; the embedding and the output layer stay
here. It serves every decoder (greedy, sampling, beams, batched rows) through
decoding_steps.last_logits, needs no compile, and gives what the eager step does up to
rounding: the eager step rounds its activations to bf16 between operations, this one
keeps them in float32.

Taken for models whose parts it knows (RMSNorm, rotary positions, SwiGLU, causal, no
dropout, a head size that is a multiple of 16 up to 128: llmcli's own, Llama, Qwen2) once
quantize.py gave every block linear llmcli's int4 or int8 kernels;
`LLMCLI_NATIVE_KERNELS=0` turns it off with the other kernels.
"""

from __future__ import annotations

import torch

from llmcli.model import native_kernels
from llmcli.model.rotary import rope_tables, signed
from llmcli.model.transformer import KVCache

EMPTY = torch.empty(0)


class NativeStep:
    """What decode_step takes of one model, gathered once: references to its packed
    weights, float32 copies of its norms and biases, the rotary tables."""

    def __init__(self, model):
        c = model.config
        self.heads, self.kv_heads, self.ffn, self.eps = c.n_head, c.n_kv_head, c.ffn_hidden, float(c.norm_eps)
        self.norms, self.weights, self.scales, self.biases = [], [], [], []
        for block in model.blocks:
            self.norms += [_float(block.attn_norm.weight), _float(block.mlp_norm.weight)]
            for layer in (block.attn.qkv, block.attn.proj, block.mlp.gate_up, block.mlp.down):
                self.weights.append(layer.packed)
                scale = getattr(layer, "scale_bytes", None)  # int8's row scales; int4 has none
                self.scales.append(EMPTY if scale is None else scale.view(torch.float32))
                self.biases.append(EMPTY if layer.bias is None else _float(layer.bias))
        self.norms.append(_float(model.norm.weight))
        # from the formula again: the model's own tables were cast to bf16 with its weights
        cos, sin = rope_tables(c.head_dim, c.context, c.rope_theta)
        self.cos, self.sin = cos.contiguous(), signed(sin).contiguous()

    def hidden(self, x: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """The final norm's output (B, C) float32 for embeddings x (B, C) of the tokens at
        position cache.length, whose keys and values it stores."""
        return torch.ops.llmcli_kernels.decode_step(
            x, cache.length, cache.k, cache.v, self.norms, self.weights, self.scales, self.biases, self.cos,
            self.sin, self.heads, self.kv_heads, self.ffn, self.eps)


def _float(t: torch.Tensor) -> torch.Tensor:
    return t.detach().float().contiguous()


def fits(model) -> bool:
    """Whether decode_step knows every part of the model and every block linear has llmcli's kernels."""
    c = model.config
    if not (native_kernels.loaded() and c.causal and c.norm == "rms" and c.positions == "rope"
            and c.mlp == "swiglu" and not c.dropout and c.head_dim in native_kernels.ATTENTION_HEAD_SIZES
            and model.embed.weight.device.type == "cpu"):
        return False
    # quantize.py's layers on llmcli's kernels (not imported: quantize.py attaches this step)
    return all(getattr(layer, "native", False) and hasattr(layer, "packed")
               for block in model.blocks
               for layer in (block.attn.qkv, block.attn.proj, block.mlp.gate_up, block.mlp.down))


def attach(model) -> bool:
    """Give a quantized model its native step (model.native_step) where it fits."""
    model.native_step = NativeStep(model) if fits(model) else None
    return model.native_step is not None


def native_last_logits(model, idx: torch.Tensor, cache) -> torch.Tensor | None:
    """The logits (B, vocab) of one new token per row through the native step; None where
    the model has none or the call is not a one-token step over a float32 cache."""
    step = getattr(model, "native_step", None)
    if (step is None or cache is None or idx.shape[1] != 1 or not isinstance(cache, KVCache)
            or idx.shape[0] >= native_kernels.MATMUL_ROWS or cache.k[0].dtype != torch.float32):
        return None
    model.check_fits(cache.length + 1)
    cache.make_room(cache.length + 1)
    hidden = step.hidden(model.embed(idx[:, 0]).float(), cache)
    cache.length += 1
    return model.logits(hidden)
