"""The building blocks every decoder shares (generate.py's sampler and batched decoders,
batched_beams.py's beam search, the language-model head): where the model lives, eval mode
for a block, the logits at the last position, the logit processors, stop strings."""

from __future__ import annotations

from contextlib import contextmanager

import torch


def model_device(model) -> torch.device:
    """The device of a model's parameters (the CPU for a model without any)."""
    param = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    return param.device if param is not None else torch.device("cpu")


@contextmanager
def eval_mode(model):
    """The model in eval mode (no dropout) for the block, then as it was."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def last_logits(model, idx: torch.Tensor, cache) -> torch.Tensor:
    """fp32 logits (B, vocab) at the last position. Projecting only that position onto the
    vocabulary spares a prefill a (T, vocab) matmul. A model given a compiled step
    (compiled_decode.py) takes it for one-token steps, and so does a quantized model with
    llmcli's whole-step kernel (native_decode.py), which goes first: it needs no compile
    and is the quicker."""
    if getattr(model, "native_step", None) is not None:
        from llmcli.model.native_decode import native_last_logits

        logits = native_last_logits(model, idx, cache)
        if logits is not None:
            return logits.float()
    if getattr(model, "compiled_step", None) is not None:
        from llmcli.model.compiled_decode import compiled_last_logits

        logits = compiled_last_logits(model, idx, cache)
        if logits is not None:
            return logits.float()
    if hasattr(model, "hidden_states") and hasattr(model, "logits"):
        return model.logits(model.hidden_states(idx, cache)[:, -1]).float()
    return model(idx, cache=cache)[0][:, -1].float()


def penalize_repeats(logits, seen, penalty: float):
    """CTRL repetition penalty: make every token already seen less likely, whatever its sign."""
    return torch.where(seen, torch.where(logits > 0, logits / penalty, logits * penalty), logits)


def banned_tokens(seq: list[int], n: int) -> set[int]:
    """Tokens that would complete an n-gram already in seq (a scan: fine for beam search)."""
    if len(seq) < n:
        return set()
    prefix = seq[len(seq) - n + 1 :]
    return {seq[i + n - 1] for i in range(len(seq) - n + 1) if seq[i : i + n - 1] == prefix}


def earliest_stop(text: str, stops) -> int | None:
    """Where the first stop string found in text begins, or None."""
    found = [i for i in (text.find(s) for s in stops) if i >= 0]
    return min(found) if found else None


def partial_stop(text: str, stops) -> int:
    """Length of the longest tail of text that could still grow into a stop string."""
    longest = 0
    for s in stops:
        for k in range(min(len(s) - 1, len(text)), longest, -1):
            if text.endswith(s[:k]):
                longest = k
                break
    return longest
