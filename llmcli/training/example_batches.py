"""Batches of task examples: shuffled each epoch, padded to the longest in the batch, and
resumable exactly (the order and the position are saved with the checkpoint)."""

from __future__ import annotations

from typing import Callable

import torch

from llmcli.training.batches import shard_of


def padded(sequences: list[list[int]], pad: int) -> torch.Tensor:
    """A (B, longest) tensor, padded on the right."""
    longest = max(len(s) for s in sequences)
    out = torch.full((len(sequences), longest), pad, dtype=torch.long)
    for row, seq in enumerate(sequences):
        out[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
    return out


class ExampleBatches:
    def __init__(self, items: list[dict], collate: Callable[[list[dict]], tuple], batch_size: int, seed: int,
                 rank: int = 0, world: int = 1):
        if not items:
            raise ValueError("no training items")
        self.items = items
        self.collate = collate
        self.batch_size = min(batch_size, len(items))  # the global batch, over all processes
        self.share = shard_of(self.batch_size, rank, world)
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(len(items), generator=self.generator)
        self.position = 0

    def next_batch(self) -> tuple:
        if self.position + self.batch_size > len(self.items):
            self.order = torch.randperm(len(self.items), generator=self.generator)
            self.position = 0
        # every process takes the same global batch, and trains on its own share of it
        chosen = self.order[self.position : self.position + self.batch_size][self.share].tolist()
        self.position += self.batch_size
        return self.collate([self.items[i] for i in chosen])

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order.clone(),
                "position": torch.tensor(self.position)}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.order = state["order"].long()
        self.position = int(state["position"])


class ExampleLossEvaluator:
    """Mean loss over validation items (a quick sample of them between final evaluations)."""

    def __init__(self, items: list[dict], collate, loss, batch_size: int, quick_items: int = 256):
        self.items, self.collate, self.loss = items, collate, loss
        self.batch_size = batch_size
        self.quick_items = quick_items

    def __call__(self, model, final: bool) -> dict:
        items = self.items if final else self.items[: self.quick_items]
        device = next(model.parameters()).device
        total, count = 0.0, 0
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            batch = tuple(t.to(device) if t is not None else None for t in self.collate(chunk))
            total += self.loss(model, batch).item() * len(chunk)
            count += len(chunk)
        return {"val_loss": round(total / max(1, count), 5)}
