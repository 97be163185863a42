"""Batches of token windows for language modelling, with a resumable position."""

from __future__ import annotations

import torch


def as_token_tensor(ids: list[int], vocab_size: int) -> torch.Tensor:
    """Token ids compactly: 2 bytes a token where the vocabulary allows."""
    dtype = torch.int16 if vocab_size <= 32767 else torch.int32
    return torch.tensor(ids, dtype=dtype)


class RandomWindows:
    """Random windows of `context + 1` tokens, as nanoGPT samples them.

    The sampling generator's state is the data position: saving and restoring it makes a
    resumed run see exactly the batches an uninterrupted run would have seen.
    """

    def __init__(self, tokens: torch.Tensor, context: int, batch_size: int, seed: int, rank: int = 0, world: int = 1):
        if len(tokens) < 2:
            raise ValueError("need at least two tokens to train on")
        self.tokens = tokens
        self.context = min(context, len(tokens) - 1)
        self.batch_size = batch_size  # the global batch, over all processes
        self.share = shard_of(batch_size, rank, world)
        self.generator = torch.Generator().manual_seed(seed)
        self._offsets = torch.arange(self.context + 1)

    def next_batch(self):
        # every process draws the same global batch and trains on its own share of it, so
        # the number of processes changes nothing but the speed
        starts = torch.randint(
            len(self.tokens) - self.context, (self.batch_size,), generator=self.generator
        )[self.share]
        windows = self.tokens[starts[:, None] + self._offsets].long()
        return windows[:, :-1], windows[:, 1:], None

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])


def shard_of(batch_size: int, rank: int, world: int) -> slice:
    """The rows of a global batch that process `rank` of `world` trains on."""
    per = batch_size // world
    return slice(rank * per, (rank + 1) * per)


def eval_windows(tokens: torch.Tensor, context: int, max_windows: int | None = None):
    """Consecutive non-overlapping windows covering the tokens, every target scored once.

    Yields (inputs, targets) of shape (1, n). With `max_windows`, evenly spaced windows only
    (a quick estimate for progress reports).
    """
    n = len(tokens) - 1
    starts = list(range(0, n, context))
    if max_windows is not None and len(starts) > max_windows:
        step = len(starts) / max_windows
        starts = [starts[int(i * step)] for i in range(max_windows)]
    for s in starts:
        window = tokens[s : min(s + context, n) + 1].long()
        yield window[None, :-1], window[None, 1:]


class MaskedWindows:
    """Random windows of `context` tokens corrupted for masked language modelling
    (training/masking.py): batches of (inputs, original tokens, where the loss is), which
    the model's own loss takes as (idx, targets, loss_mask). Every process draws and
    masks the same global batch and keeps its share; both generators are the position."""

    def __init__(self, tokens: torch.Tensor, context: int, batch_size: int, seed: int, mask_id: int,
                 random_ids: tuple[int, int], rank: int = 0, world: int = 1):
        self.windows = RandomWindows(tokens, context - 1, batch_size, seed)  # the whole global batch
        self.share = shard_of(batch_size, rank, world)
        self.mask_id, self.random_ids = mask_id, random_ids
        self.generator = torch.Generator().manual_seed(seed + 1)

    def next_batch(self):
        from llmcli.training.masking import mask_tokens

        x, y, _ = self.windows.next_batch()
        whole = torch.cat([x, y[:, -1:]], dim=1)  # the window's context tokens, all of them read
        masked = mask_tokens(whole, self.mask_id, self.random_ids, self.generator)
        return masked.inputs[self.share], masked.targets[self.share], masked.chosen[self.share]

    def state_dict(self) -> dict:
        return {"generator": self.windows.generator.get_state(), "masks": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.windows.generator.set_state(state["generator"])
        self.generator.set_state(state["masks"])
