"""Reading a GGUF file (llama.cpp's format) into llmcli's config fields and state-dict names.

`read_gguf(path)` returns three plain things: the model config fields (family, shape, norm,
positions...), a state dict of float32 tensors under the names llmcli's Transformer uses, and
the file's metadata (name, licence, origin, quantization). The tensor names are
gguf_tensors.py's table, which the export writes by as well.

The file is untrusted input: the `gguf` package's reader only maps it and reads numbers and
strings (no pickle, no code), every tensor's shape is checked against the config the file
declares, and a tensor llmcli has no place for is refused rather than dropped, since dropping
one (Llama 3.1's `rope_freqs`, say) would give a model that runs and is silently wrong.

What llama.cpp's converter did to a Hugging Face checkpoint is undone here:

- Llama: q and k rows were permuted from the rotate-half rotary layout (the one llmcli and
  Hugging Face use) to interleaved pairs (gguf_tensors.py). The inverse runs per head, with the key-value head
  count for k: using the query head count there is the grouped-query bug of
  transformers#31766. Qwen2 is written with llama.cpp's "neox" rotary, which is rotate-half
  already, so it is not permuted; GPT-2 has no rotary embeddings.
- GPT-2: the converter transposed Hugging Face's Conv1D weights into Linear's (out, in)
  layout, which is llmcli's, and wrote the tied output as a copy of the embedding; a copy
  equal to the embedding is read as tied again.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

SUPPORTED_ARCHITECTURES = ("llama", "qwen2", "gpt2")
SUPPORTED_TYPES = ("F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K")
GGUF_MAGIC = b"GGUF"
MAX_CONTEXT = 1 << 20

# what each architecture is in llmcli's terms (the rest of its config comes from the file)
FAMILIES = {
    "llama": dict(norm="rms", positions="rope", mlp="swiglu", bias=False),
    "qwen2": dict(norm="rms", positions="rope", mlp="swiglu", bias=False),
    "gpt2": dict(norm="layer", positions="learned", mlp="gelu", bias=True),
}


class GGUFError(ValueError):
    """A GGUF file llmcli cannot read: the message names the file and what is wrong."""


def read_gguf(path: str | os.PathLike, on_block=None, reader=None) -> tuple[dict, dict, dict]:
    """(model config fields, state dict of float32 tensors in llmcli's names, metadata);
    `on_block(done, total)` hears of each block dequantized; `reader`: the file already
    opened with `open_reader`."""
    path = Path(path)
    reader = reader or open_reader(path)
    try:
        architecture = str(field(reader, "general.architecture", path))
        if architecture not in FAMILIES:
            raise GGUFError(
                f"{path} holds a model of architecture {architecture!r}, which llmcli cannot load; "
                f"supported: {', '.join(SUPPORTED_ARCHITECTURES)}"
            )
        tensors = Tensors(path, reader)
        config = config_fields(path, reader, architecture, tensors)
        state = state_dict(config, architecture, tensors, on_block)
        return config, state, metadata(reader, architecture, tensors)
    except GGUFError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, OverflowError) as exc:
        # a reader that parsed the header can still meet a damaged value or tensor later
        raise GGUFError(f"{path} is not a readable GGUF file: it is truncated or corrupt ({exc})") from None


def open_reader(path: Path):
    """The `gguf` package's reader, or a GGUFError saying why the file is not one."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise GGUFError(f"cannot read {path}: {exc.strerror or exc}") from None
    if head[:4] != GGUF_MAGIC:
        what = "an empty file" if not head else "a file that does not start with GGUF's magic bytes"
        raise GGUFError(f"{path} is not a GGUF file ({what})")
    if len(head) == 8 and head[4:6] == b"\0\0" and head[6:8] != b"\0\0":  # the version, byte-swapped
        raise GGUFError(f"{path} is a big-endian GGUF file, which llmcli cannot read")
    from gguf import GGUFReader

    from llmcli.pretrained.gguf_layout import check_layout

    try:
        check_layout(path)  # lengths that run past the end would make the reader loop for ever
        reader = GGUFReader(path, "r")
    except (ValueError, KeyError, IndexError, TypeError, OverflowError, MemoryError) as exc:
        raise GGUFError(f"{path} is not a readable GGUF file: it is truncated or corrupt ({exc})") from None
    return reader


def field(reader, key: str, path: Path, default=None, required: bool = True):
    """A metadata value as a Python str, int, float, bool or list; GGUFError when missing."""
    item = reader.fields.get(key)
    if item is None:
        if required and default is None:
            raise GGUFError(f"{path} has no {key} in its metadata: it is not a complete GGUF model file")
        return default
    return field_value(item)


def field_value(item):
    from gguf import GGUFValueType

    def one(index: int):
        part = item.parts[index]
        if item.types[-1] == GGUFValueType.STRING:
            return bytes(part).decode("utf-8")
        return part.tolist()[0]

    values = [one(i) for i in item.data]
    return values if item.types[0] == GGUFValueType.ARRAY else values[0]


def tidy(value: float) -> float:
    """A float32 value from the file as the decimal it was written from: 1e-05, not 9.99999974e-06."""
    return float(f"{float(value):.7g}")


class Tensors:
    """The file's tensors by name, dequantized to float32 on `take`; what is never taken is left over."""

    def __init__(self, path: Path, reader):
        self.path = path
        self.remaining = {t.name: t for t in reader.tensors}
        self.types = {t.name: t.tensor_type.name for t in reader.tensors}

    def has(self, name: str) -> bool:
        return name in self.remaining

    def shape(self, name: str) -> tuple[int, ...]:
        """The numpy shape (rows first), as PyTorch's Linear stores it."""
        return tuple(int(n) for n in reversed(self.need(name).shape.tolist()))

    def need(self, name: str):
        tensor = self.remaining.get(name)
        if tensor is None:
            raise GGUFError(f"{self.path} has no tensor {name}: the file is incomplete or not a model llmcli knows")
        return tensor

    def take(self, name: str, shape: tuple[int, ...]):
        """The tensor `name` as a float32 torch tensor, checked to have `shape`."""
        tensor = self.need(name)
        if self.shape(name) != tuple(shape):
            raise GGUFError(
                f"{self.path}: tensor {name} has shape {self.shape(name)}, not the {tuple(shape)} its "
                "metadata implies: the file is corrupt or inconsistent"
            )
        del self.remaining[name]
        return dequantize(self.path, tensor, shape)

    def take_optional(self, name: str, shape: tuple[int, ...]):
        return self.take(name, shape) if self.has(name) else None


def dequantize(path: Path, tensor, shape: tuple[int, ...]):
    """One tensor's values in float32, through the `gguf` package's own dequantizer."""
    import numpy as np
    import torch
    from gguf.quants import dequantize as gguf_dequantize

    kind = tensor.tensor_type.name
    if kind not in SUPPORTED_TYPES:
        raise GGUFError(
            f"{path}: tensor {tensor.name} is stored as {kind}, a type llmcli cannot read; "
            f"supported: {', '.join(SUPPORTED_TYPES)} (re-quantize the model with llama.cpp to one of them)"
        )
    values = np.array(gguf_dequantize(tensor.data, tensor.tensor_type), dtype=np.float32, copy=True)
    return torch.from_numpy(values.reshape(shape))


def config_fields(path: Path, reader, architecture: str, tensors: Tensors) -> dict:
    """The model config in llmcli's field names, from the file's metadata and tensor shapes."""
    family = FAMILIES[architecture]

    def arch(key: str, default=None):
        return field(reader, f"{architecture}.{key}", path, default)

    n_embd, n_head = int(arch("embedding_length")), int(arch("attention.head_count"))
    n_kv_head = arch("attention.head_count_kv", n_head)
    if isinstance(n_kv_head, list):  # one count per layer: llmcli's blocks are all alike
        if len(set(n_kv_head)) != 1:
            raise GGUFError(f"{path} has a different key-value head count per layer, which llmcli cannot load")
        n_kv_head = n_kv_head[0]
    n_kv_head = int(n_kv_head)
    if min(n_embd, n_head, n_kv_head) <= 0 or n_embd % n_head or n_head % n_kv_head:
        raise GGUFError(f"{path}: {n_head} query heads and {n_kv_head} key-value heads do not fit a width of {n_embd}")
    context = int(arch("context_length"))
    if not 0 < context <= MAX_CONTEXT:  # the model's position tables are as long as its context
        raise GGUFError(f"{path} declares a context of {context} tokens; llmcli loads at most {MAX_CONTEXT}")
    head_dim = n_embd // n_head
    rotary = arch("rope.dimension_count", head_dim) if family["positions"] == "rope" else head_dim
    if int(arch("attention.key_length", head_dim)) != head_dim or int(rotary) != head_dim:
        raise GGUFError(f"{path}: its heads or rotary dimensions are not n_embd / n_head ({head_dim}); llmcli cannot load it")
    if arch("rope.scaling.type", "none") not in ("none", "linear") or float(arch("rope.scaling.factor", 1.0)) != 1.0:
        raise GGUFError(f"{path} uses rope scaling, which llmcli cannot load")
    eps_key = "attention.layer_norm_rms_epsilon" if family["norm"] == "rms" else "attention.layer_norm_epsilon"
    return {
        "family": architecture,
        "vocab_size": tensors.shape("token_embd.weight")[0],
        "n_layer": int(arch("block_count")),
        "n_head": n_head,
        "n_kv_head": n_kv_head,
        "n_embd": n_embd,
        "context": context,
        "ffn_hidden": int(arch("feed_forward_length")),
        "rope_theta": tidy(arch("rope.freq_base", 10000.0)),
        "norm_eps": tidy(arch(eps_key)),
        "qkv_bias": tensors.has("blk.0.attn_q.bias") or (architecture == "gpt2" and tensors.has("blk.0.attn_qkv.bias")),
        "bias": family["bias"],
        "norm": family["norm"],
        "positions": family["positions"],
        "mlp": family["mlp"],
        "tied_output": not tensors.has("output.weight"),
    }


def state_dict(config: dict, architecture: str, tensors: Tensors, on_block=None) -> dict:
    """Every tensor of the file under llmcli's name (gguf_tensors' table); GGUFError for a
    tensor the model has no place for."""
    import torch

    from llmcli.model.config import ModelConfig
    from llmcli.pretrained.gguf_tensors import entries, llmcli_shapes

    try:
        model_config = ModelConfig(**config)
    except ValueError as exc:
        raise GGUFError(f"{tensors.path}: {exc}") from None
    shapes = llmcli_shapes(model_config)
    table = entries(architecture, model_config, shapes)
    last = {block_of(e.llmcli): i for i, e in enumerate(table)}  # where each block's tensors end
    parts: dict[str, list] = {}
    state = {}
    for i, entry in enumerate(table):
        taken = take_entry(entry, architecture, model_config, shapes[entry.llmcli], tensors)
        parts.setdefault(entry.llmcli, []).append(taken)
        if sum(len(p) for p in parts[entry.llmcli]) == shapes[entry.llmcli][0]:  # every part is there
            state[entry.llmcli] = torch.cat(parts.pop(entry.llmcli))
        n = block_of(entry.llmcli)
        if on_block and n is not None and last[n] == i:
            on_block(n + 1, model_config.n_layer)
    output = state.get("output.weight")
    if output is not None and torch.equal(output, state["embed.weight"]):
        del state["output.weight"]  # GPT-2's converter writes a tied output out, as a copy
    config["tied_output"] = "output.weight" not in state
    if tensors.remaining:
        names = ", ".join(sorted(tensors.remaining)[:5]) + (" ..." if len(tensors.remaining) > 5 else "")
        raise GGUFError(
            f"{tensors.path} has tensors llmcli has no place for ({names}): "
            "a variant of the architecture llmcli cannot load"
        )
    return state


def block_of(name: str) -> int | None:
    """The block number of an llmcli tensor name (blocks.N.), None outside the blocks."""
    return int(name.split(".")[1]) if name.startswith("blocks.") else None


def take_entry(entry, architecture: str, config, shape: tuple[int, ...], tensors: Tensors):
    """The file's tensor for one entry: a whole llmcli tensor, or the rows of one part of a
    fused one, a "llama" file's q and k rows put back in rotate-half order."""
    from llmcli.pretrained.gguf_tensors import LAYOUTS, part_rows, rotary_heads, rotate_half_rows

    if entry.part is None:
        return tensors.take(entry.gguf, shape)
    start, end = part_rows(config, entry.part)
    tensor = tensors.take(entry.gguf, (end - start, *shape[1:]))
    if entry.rotary and LAYOUTS[architecture].permuted:
        tensor = rotate_half_rows(tensor, rotary_heads(config, entry.rotary)).contiguous()
    return tensor


def metadata(reader, architecture: str, tensors: Tensors) -> dict:
    """Where the model came from and how it was stored: name, licence, origin, quantization."""
    def general(key: str):
        return field(reader, f"general.{key}", tensors.path, required=False)

    kinds = Counter(tensors.types.values())
    found = {
        "architecture": architecture,
        "name": general("name"),
        "license": general("license"),
        "source_url": general("source.url") or general("url") or hub_url(general("source.huggingface.repository")),
        "quantization": dict(kinds.most_common()),
        "file": str(tensors.path),
    }
    return {key: value for key, value in found.items() if value not in (None, "", {})}


def hub_url(repository: str | None) -> str | None:
    """The Hugging Face page of a repository id the file names ("HuggingFaceTB/SmolLM2-135M")."""
    return f"https://huggingface.co/{repository}" if repository else None
