"""The attention weights of every layer and head, computed explicitly for `llmcli attention`.

Training and generation use fused attention kernels, which never return the weights. Here
a forward hook on each block's attention reads the normalized input it was given and
recomputes softmax(q·k / sqrt(d)) under the causal mask (none in an encoder) from the layer's own projections
and rotary tables, while the model runs its ordinary forward pass.
"""

from __future__ import annotations

import torch


def attention_maps(model, ids: list[int], reduce=None) -> torch.Tensor:
    """(layers, heads, T, T) float32: row i is how much token i attends to each token. With
    `reduce`, each layer's (heads, T, T) weights are reduced as they come, so a long text
    never holds all layers' maps at once."""
    maps: list[torch.Tensor] = []

    def keep(attention, args, output):
        x, cos, sin = args[0], args[1], args[2]
        weights = weights_of(attention, x, cos, sin)
        maps.append(weights if reduce is None else reduce(weights))

    hooks = [block.attn.register_forward_hook(keep) for block in model.blocks]
    try:
        with torch.inference_mode():
            model.hidden_states(torch.tensor([ids], device=model.embed.weight.device))
    finally:
        for hook in hooks:
            hook.remove()
    return torch.stack(maps).float().cpu()


def weights_of(attention, x, cos, sin) -> torch.Tensor:
    """(heads, T, T) softmax weights of one attention layer on its input x (1, T, C), with
    the tables the layer was given (sin signed, see Attention.forward)."""
    from llmcli.model.rotary import rotate

    _, T, _ = x.shape
    heads = attention.qkv(x).view(1, T, -1, attention.head_dim).transpose(1, 2).float()
    q, k, _ = heads.split([attention.n_head, attention.n_kv_head, attention.n_kv_head], dim=1)
    if cos is not None:  # rotary positions; learned ones were added to the embeddings
        q, k = rotate(q, cos.float(), sin.float()), rotate(k, cos.float(), sin.float())
    k = attention.shared_kv(k)
    scores = (q @ k.transpose(-2, -1)) * attention.head_dim ** -0.5
    if attention.causal:
        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
    return scores.softmax(dim=-1)[0]


def attention_to_prompt(model, prompt_ids: list[int], answer_ids: list[int]) -> tuple[list[int], list[float]]:
    """How much an answer attended to each of its prompt's tokens: the weights of the
    positions that wrote the answer's tokens (the one before each), averaged over heads,
    layers and those positions, and scaled to sum to one over the prompt. Returned with
    the prompt's ids that fit in the window beside the answer."""
    ids = (prompt_ids + answer_ids)[-model.config.context:]
    prompt = len(ids) - len(answer_ids)
    if prompt < 1 or not answer_ids:
        raise ValueError("no prompt and answer to look at")
    writers = slice(prompt - 1, len(ids) - 1)
    per_layer = attention_maps(model, ids, lambda w: w[:, writers, :prompt].mean(dim=(0, 1)))
    share = per_layer.mean(0)
    return ids[:prompt], (share / share.sum()).tolist()
