"""Validation of a masked-LM encoder: the loss, accuracy and bits per byte of the masked
tokens of the held-out text.

The mask is drawn once, from a fixed seed, when the evaluator is made: every evaluation
of a run, and every run on the same file and tokenizer, scores the same tokens, so the
figures are comparable with each other. They are not comparable with a causal model's
bits per byte: an encoder predicts 15% of the tokens with both sides of each in view,
a causal model every token from the left alone.
"""

from __future__ import annotations

import math

import torch

from llmcli.training.masking import mask_tokens

VALIDATION_SEED = 1234  # the validation mask's: the same whatever the run's --seed


class MaskedLMEvaluator:
    def __init__(self, tokens: torch.Tensor, context: int, mask_id: int, random_ids: tuple[int, int],
                 token_bytes, quick_windows: int = 16):
        generator = torch.Generator().manual_seed(VALIDATION_SEED)
        ids = tokens.long()
        # consecutive windows of `context` tokens; a shorter tail is its own window
        self.windows = [mask_tokens(ids[None, s : s + context], mask_id, random_ids, generator)
                        for s in range(0, len(ids), context) if len(ids) - s >= 2]
        self.token_bytes = token_bytes
        self.quick_windows = quick_windows

    def chosen_windows(self, final: bool) -> list:
        if final or len(self.windows) <= self.quick_windows:
            return self.windows
        step = len(self.windows) / self.quick_windows  # evenly spaced, the same ones each time
        return [self.windows[int(i * step)] for i in range(self.quick_windows)]

    def __call__(self, model, final: bool) -> dict:
        nats = right = count = text_bytes = 0.0
        device = model.embed.weight.device
        for window in self.chosen_windows(final):
            logits, _ = model(window.inputs.to(device))
            picked = logits[0][window.chosen[0].to(device)].float()
            targets = window.targets[0][window.chosen[0]].to(device)
            nats += torch.nn.functional.cross_entropy(picked, targets, reduction="sum").item()
            right += (picked.argmax(-1) == targets).sum().item()
            count += len(targets)
            text_bytes += sum(self.token_bytes(int(t)) for t in targets.tolist())
        figures = {"val_loss": round(nats / count, 5), "val_masked_accuracy": round(right / count, 5),
                   "val_masked_bpb": round(nats / math.log(2) / max(1.0, text_bytes), 5)}
        if final:
            figures["val_masked_tokens"] = int(count)
        return figures
