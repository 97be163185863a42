"""GGUF's tensor names and llmcli's, per GGUF architecture: the one table that both the
import (gguf_weights.py) and the export (export_gguf.py) walk.

Each row pairs an llmcli tensor stem with llama.cpp's, and says which slice of a fused
llmcli tensor it is (q, k, v of `attn.qkv`; gate, up of `mlp.gate_up`) and whether its rows
are a rotary projection ("q" or "k"). A row stands for the `.weight` and the `.bias` alike;
which of them a model has is the llmcli model's business (`llmcli_shapes`), so one table
serves a model with biases and one without.

Rotary rows: llmcli (like Hugging Face) rotates each head's two halves against each other;
llama.cpp's "llama" architecture rotates neighbouring pairs, so its converter permutes the
q and k rows of each head into interleaved order (by the key-value head count for k).
`interleave_rotary` does that on export, `rotate_half_rows` undoes it on import. "qwen2"
uses rotate-half ("neox") rotary in llama.cpp, so its rows are not permuted.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcli.errors import UserError


@dataclass(frozen=True)
class Entry:
    """One GGUF tensor: the llmcli tensor it is (or is a `part` of) and its GGUF name."""

    llmcli: str
    gguf: str
    part: str | None = None
    rotary: str | None = None  # "q" or "k": permuted head by head in a "llama" file

    @property
    def is_norm(self) -> bool:
        return "norm." in self.gguf


@dataclass(frozen=True)
class Layout:
    model: tuple[tuple, ...]  # whole-model rows, then each block's (stems, without .weight/.bias)
    block: tuple[tuple, ...]
    permuted: bool  # q and k rows in llama.cpp's interleaved order
    output_copy: bool = False  # llama.cpp's converter writes a tied output out, as a copy


MODEL = (("embed", "token_embd"), ("pos_embed", "position_embd"), ("norm", "output_norm"), ("output", "output"))
ROTARY_BLOCK = (
    ("attn_norm", "attn_norm"),
    ("attn.qkv", "attn_q", "q", "q"),
    ("attn.qkv", "attn_k", "k", "k"),
    ("attn.qkv", "attn_v", "v"),
    ("attn.proj", "attn_output"),
    ("mlp_norm", "ffn_norm"),
    ("mlp.gate_up", "ffn_gate", "gate"),
    ("mlp.gate_up", "ffn_up", "up"),
    ("mlp.down", "ffn_down"),
)
GPT2_BLOCK = (  # q, k, v stay fused: llama.cpp's attn_qkv holds q, k, v rows as llmcli's does
    ("attn_norm", "attn_norm"), ("attn.qkv", "attn_qkv"), ("attn.proj", "attn_output"),
    ("mlp_norm", "ffn_norm"), ("mlp.up", "ffn_up"), ("mlp.down", "ffn_down"),
)
LAYOUTS = {
    "llama": Layout(MODEL, ROTARY_BLOCK, permuted=True),
    "qwen2": Layout(MODEL, ROTARY_BLOCK, permuted=False),
    "gpt2": Layout(MODEL, GPT2_BLOCK, permuted=False, output_copy=True),
}


def architecture_of(config) -> str:
    """The GGUF architecture whose layout the model's variants are (llmcli's own: llama)."""
    if config.positions == "learned" and (config.norm, config.mlp, config.qkv_bias, config.bias) == (
            "layer", "gelu", True, True):
        return "gpt2"
    if config.positions == "rope" and (config.norm, config.mlp, config.bias) == ("rms", "swiglu", False):
        return "qwen2" if config.qkv_bias else "llama"
    raise UserError(f"a {config.family} model with these variants (norm {config.norm}, positions "
                    f"{config.positions}, MLP {config.mlp}, biases {config.bias}) has no GGUF architecture "
                    f"llmcli writes: it writes {', '.join(LAYOUTS)}")


def llmcli_shapes(config) -> dict[str, tuple[int, ...]]:
    """Every tensor of llmcli's model for `config`, with its shape (built on the meta device:
    no memory)."""
    import torch

    from llmcli.model.transformer import Transformer

    with torch.device("meta"):
        model = Transformer(config)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def entries(architecture: str, config, shapes: dict) -> list[Entry]:
    """The file's tensors for a model of `config`, in file order, block numbers filled in:
    every row of the layout whose llmcli tensor (weight or bias) the model has."""
    layout = LAYOUTS[architecture]
    rows = [row for row in layout.model if row[0] != "output"]
    for n in range(config.n_layer):
        rows += [(f"blocks.{n}.{row[0]}", f"blk.{n}.{row[1]}", *row[2:]) for row in layout.block]
    rows += [row for row in layout.model if row[0] == "output"]
    found = []
    for row in rows:
        for kind in ("weight", "bias"):
            if f"{row[0]}.{kind}" in shapes:
                found.append(Entry(f"{row[0]}.{kind}", f"{row[1]}.{kind}", *row[2:]))
    return found


def part_rows(config, part: str) -> tuple[int, int]:
    """The rows [start, end) of a fused tensor that `part` is."""
    q = config.n_head * config.head_dim
    kv = (config.n_kv_head or config.n_head) * config.head_dim
    ffn = config.ffn_hidden
    return {"q": (0, q), "k": (q, q + kv), "v": (q + kv, q + 2 * kv), "gate": (0, ffn), "up": (ffn, 2 * ffn)}[part]


def rotary_heads(config, rotary: str) -> int:
    return config.n_head if rotary == "q" else (config.n_kv_head or config.n_head)


def interleave_rotary(weight, heads: int):
    """Rows of a rotate-half projection (heads * head_dim, ...) in llama.cpp's interleaved
    order: within each head, row i of the first half and row i of the second half become
    neighbours (0, d/2, 1, d/2 + 1, ...). Works on numpy arrays and torch tensors."""
    rows = weight.shape[0]
    return weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def rotate_half_rows(weight, heads: int):
    """The inverse of interleave_rotary (what an importer applies)."""
    rows = weight.shape[0]
    return weight.reshape(heads, rows // heads // 2, 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)
