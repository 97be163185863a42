"""A compiled one-token decoding step (`--compile` on generate and chat).

At batch 1 a token of a 135M model is about 1,300 small operations besides the matmuls,
and on a CPU each costs microseconds of dispatch: SmolLM2-135M spent as long on them as
on reading its int4 weights. torch.compile with inductor's C++ wrapper turns the whole
step (every layer, the norm and the output layer) into one compiled function, so a token
costs about what its weights take to read. The first compile takes minutes on 2 cores
and needs a C++ compiler; inductor keeps what it built on disk, and later runs load it
in seconds. Prefills (more than one token) stay eager.
"""

from __future__ import annotations

import shutil

import torch

from llmcli.errors import UserError
from llmcli.model.transformer import KVCache


class _RoomMade(KVCache):
    """The KV cache's tensors as the compiled step sees them: room already made, the
    length passed in as an argument, so that one graph serves every position (an
    attribute read would be specialized on, and recompiled at every token)."""

    def __init__(self, k, v, length):
        self.k, self.v, self.length, self.limit = k, v, length, k[0].shape[2]


def _step(model, idx, k, v, length):
    return model.logits(model.hidden_states(idx, _RoomMade(k, v, length))[:, -1])


def compiler_available() -> bool:
    return any(shutil.which(name) for name in ("g++", "c++", "clang++"))


def compile_decoding(model) -> None:
    """Give `model` a compiled one-token step (model.compiled_step), used by every decoder
    through decoding_steps.last_logits. Compiling happens at the first token."""
    if model.embed.weight.device.type == "cpu" and not compiler_available():
        raise UserError("--compile needs a C++ compiler on a CPU (torch.compile builds C++): install g++ "
                        "(e.g. `apt install g++`), or leave --compile out")
    step = torch.compile(lambda idx, k, v, length: _step(model, idx, k, v, length), dynamic=True,
                         options={"cpp_wrapper": True})
    model.compiled_step = step


def compiled_last_logits(model, idx, cache):
    """The logits (B, vocab) of one new token per row through the compiled step; None where
    the model has none or the call is not a one-token step over a cache."""
    step = getattr(model, "compiled_step", None)
    if step is None or cache is None or idx.shape[1] != 1 or not isinstance(cache, KVCache):
        return None
    # a spare position beyond the token's: were the keys read to the very end of their
    # room, the graph would be specialized on it and compiled again
    cache.make_room(cache.length + 2)
    logits = step(idx, cache.k, cache.v, cache.length)
    cache.length += 1
    return logits
