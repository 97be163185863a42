"""What a GGUF export writes for each model family: one table per family that names every
llmcli state-dict tensor in llama.cpp's terms, and which slice of a fused llmcli tensor
(q, k, v of `attn.qkv`; gate, up of `mlp.gate_up`) each one is.

export_gguf.py only walks `exported_tensors`; a family is exported to GGUF once it has a
table here. (Hugging Face names, both ways, are in hf_weights.py.) No torch at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from llmcli.errors import UserError


@dataclass(frozen=True)
class Entry:
    """One exported tensor: the llmcli tensor it comes from, its name in a GGUF file, and
    the slice of a fused tensor it is (None: whole).
    `rotary` says the rows are a head-by-head rotary projection ("q" or "k"), which
    llama.cpp wants in its interleaved layout."""

    llmcli: str
    gguf: str
    part: str | None = None
    rotary: str | None = None

    @property
    def is_norm(self) -> bool:
        return self.gguf.endswith("norm.weight")


# The Llama layout (llmcli's own models, and the llama family: SmolLM2, TinyLlama):
# the whole-model tensors, then each block's, with N for the block number.
LLAMA_MODEL = (
    Entry("embed.weight", "token_embd.weight"),
    Entry("norm.weight", "output_norm.weight"),
    Entry("output.weight", "output.weight"),  # only when untied
)
LLAMA_BLOCK = (
    Entry("blocks.N.attn_norm.weight", "blk.N.attn_norm.weight"),
    Entry("blocks.N.attn.qkv.weight", "blk.N.attn_q.weight", "q", "q"),
    Entry("blocks.N.attn.qkv.weight", "blk.N.attn_k.weight", "k", "k"),
    Entry("blocks.N.attn.qkv.weight", "blk.N.attn_v.weight", "v"),
    Entry("blocks.N.attn.proj.weight", "blk.N.attn_output.weight"),
    Entry("blocks.N.mlp_norm.weight", "blk.N.ffn_norm.weight"),
    Entry("blocks.N.mlp.gate_up.weight", "blk.N.ffn_gate.weight", "gate"),
    Entry("blocks.N.mlp.gate_up.weight", "blk.N.ffn_up.weight", "up"),
    Entry("blocks.N.mlp.down.weight", "blk.N.ffn_down.weight"),
)

FAMILIES = {"llmcli": (LLAMA_MODEL, LLAMA_BLOCK), "llama": (LLAMA_MODEL, LLAMA_BLOCK)}


def family_of(config) -> str:
    return config.family


def n_kv_head(config) -> int:
    return config.n_kv_head or config.n_head


def tied_output(config) -> bool:
    return config.tied_output


def check_exportable(config) -> tuple:
    """The family's table, or a UserError naming what can be exported."""
    family = family_of(config)
    if family not in FAMILIES:
        raise UserError(f"export of {family} models is not supported yet: llmcli exports "
                        f"{', '.join(sorted(FAMILIES))} models")
    if config.qkv_bias:
        raise UserError("export of models with q/k/v biases is not supported yet")
    return FAMILIES[family]


def part_rows(config, part: str) -> tuple[int, int]:
    """The rows [start, end) of a fused tensor that `part` is."""
    q = config.n_head * config.head_dim
    kv = n_kv_head(config) * config.head_dim
    ffn = config.ffn_hidden
    return {"q": (0, q), "k": (q, q + kv), "v": (q + kv, q + 2 * kv), "gate": (0, ffn), "up": (ffn, 2 * ffn)}[part]


def exported_tensors(config, state: dict) -> Iterator[tuple[Entry, object]]:
    """(entry with block numbers filled in, tensor) for every tensor the family exports,
    fused tensors sliced; a missing llmcli tensor (other than an untied output) is an error."""
    model_entries, block_entries = check_exportable(config)
    entries = [e for e in model_entries if e.llmcli != "output.weight" or not tied_output(config)]
    for n in range(config.n_layer):
        entries += [Entry(*(f.replace(".N.", f".{n}.") for f in (e.llmcli, e.gguf)), e.part, e.rotary)
                    for e in block_entries]
    for entry in entries:
        if entry.llmcli not in state:
            raise UserError(f"the model has no {entry.llmcli} tensor: its weights do not match its config")
        tensor = state[entry.llmcli]
        if entry.part is not None:
            start, end = part_rows(config, entry.part)
            tensor = tensor[start:end]
        yield entry, tensor
