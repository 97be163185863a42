"""Masked language modelling's corruption of a batch, as BERT does it (Devlin et al. 2019):
15% of each sequence's tokens are chosen; of those, 80% become the mask token, 10% a
random token and 10% stay as they are; the loss is on the chosen tokens alone.

A random or kept token is still predicted, so the model can't learn that only "[MASK]"
needs filling in: every input token's hidden state must carry a guess at its own word.
Everything is drawn from the generator given, so a seed repeats the masks exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

MASK_SHARE = 0.15  # of each sequence's tokens, chosen to be predicted
AS_MASK, AS_RANDOM = 0.8, 0.1  # of the chosen: replaced by the mask token, by a random token (the rest kept)


@dataclass
class MaskedBatch:
    inputs: torch.Tensor  # (B, T) what the encoder reads
    targets: torch.Tensor  # (B, T) the original tokens
    chosen: torch.Tensor  # (B, T) bool: where the loss is


def chosen_count(length: int) -> int:
    """How many tokens of a sequence of `length` are chosen: 15%, at least one."""
    return max(1, round(MASK_SHARE * length))


def mask_tokens(ids: torch.Tensor, mask_id: int, random_ids: tuple[int, int], generator: torch.Generator
                ) -> MaskedBatch:
    """`ids` (B, T) corrupted for masked language modelling. `random_ids` is the range
    [low, high) random replacements are drawn from (ordinary tokens, no control ones)."""
    B, T = ids.shape
    noise = torch.rand((B, T), generator=generator)
    kind = torch.rand((B, T), generator=generator)
    replacement = torch.randint(*random_ids, (B, T), generator=generator)
    # the k lowest noise values of each row: exactly k tokens a sequence, at random places
    k = chosen_count(T)
    chosen = torch.zeros(B, T, dtype=torch.bool)
    chosen.scatter_(1, noise.argsort(dim=1)[:, :k], True)
    inputs = ids.clone()
    as_mask = chosen & (kind < AS_MASK)
    as_random = chosen & (kind >= AS_MASK) & (kind < AS_MASK + AS_RANDOM)
    inputs[as_mask] = mask_id
    inputs[as_random] = replacement[as_random].to(ids.dtype)
    return MaskedBatch(inputs, ids, chosen)
