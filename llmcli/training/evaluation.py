"""Validation loss and bits per byte of a language model on held-out text."""

from __future__ import annotations

import math

import torch

from llmcli.training.batches import eval_windows


def score_tokens(model, tokens: torch.Tensor, context: int, max_windows=None, batch_size=16):
    """Summed cross-entropy (nats) and the number of scored tokens over `tokens`."""
    device = model.embed.weight.device
    windows = list(eval_windows(tokens, context, max_windows))
    total, count = 0.0, 0
    i = 0
    while i < len(windows):
        # stack windows of equal length (all but possibly the last) into one batch
        length = windows[i][0].shape[1]
        group = [w for w in windows[i : i + batch_size] if w[0].shape[1] == length]
        x = torch.cat([w[0] for w in group]).to(device)
        y = torch.cat([w[1] for w in group]).to(device)
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(
            logits.float().flatten(0, 1), y.flatten(), reduction="sum"
        )
        total += loss.item()
        count += y.numel()
        i += len(group)
    return total, count


class LanguageModelEvaluator:
    """Loss per token and bits per byte of the validation text.

    Every byte of the validation text is scored once: the windows start from the last
    training token, so the first validation token has something to be predicted from.
    """

    def __init__(self, tokens: torch.Tensor, text_bytes: int, context: int, quick_windows: int = 16):
        self.tokens = tokens
        self.text_bytes = text_bytes
        self.context = context
        self.quick_windows = quick_windows

    def __call__(self, model, final: bool) -> dict:
        nats, count = score_tokens(
            model, self.tokens, self.context, None if final else self.quick_windows
        )
        figures = {"val_loss": round(nats / count, 5)}
        if final:
            figures["val_bpb"] = round(nats / math.log(2) / self.text_bytes, 5)
            figures["val_tokens"] = count
            figures["val_bytes"] = self.text_bytes
        else:
            # estimated from the sampled windows' share of tokens
            share = count / max(1, len(self.tokens) - 1)
            figures["val_bpb"] = round(nats / math.log(2) / (self.text_bytes * share), 5)
        return figures
