"""The attention weights of every layer and head, computed explicitly for `llmcli attention`.

Training and generation use fused attention kernels, which never return the weights. Here
a forward hook on each block's attention reads the normalized input it was given and
recomputes softmax(q·k / sqrt(d)) under the causal mask (none in an encoder) from the layer's own projections
and rotary tables, while the model runs its ordinary forward pass.
"""

from __future__ import annotations

import torch


def attention_maps(model, ids: list[int]) -> torch.Tensor:
    """(layers, heads, T, T) float32: row i is how much token i attends to each token."""
    maps: list[torch.Tensor] = []

    def keep(attention, args, output):
        x, cos, sin = args[0], args[1], args[2]
        maps.append(weights_of(attention, x, cos, sin))

    hooks = [block.attn.register_forward_hook(keep) for block in model.blocks]
    try:
        with torch.inference_mode():
            model.hidden_states(torch.tensor([ids], device=model.embed.weight.device))
    finally:
        for hook in hooks:
            hook.remove()
    return torch.stack(maps).float().cpu()


def weights_of(attention, x, cos, sin) -> torch.Tensor:
    """(heads, T, T) softmax weights of one attention layer on its input x (1, T, C)."""
    from llmcli.model.transformer import apply_rope

    _, T, _ = x.shape
    heads = attention.qkv(x).view(1, T, -1, attention.head_dim).transpose(1, 2).float()
    q, k, _ = heads.split([attention.n_head, attention.n_kv_head, attention.n_kv_head], dim=1)
    if cos is not None:  # rotary positions; learned ones were added to the embeddings
        q, k = apply_rope(q, cos.float(), sin.float()), apply_rope(k, cos.float(), sin.float())
    k = attention.shared_kv(k)
    scores = (q @ k.transpose(-2, -1)) * attention.head_dim ** -0.5
    if attention.causal:
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
    return scores.softmax(dim=-1)[0]
