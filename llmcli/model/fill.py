"""A masked-LM encoder's guesses for each [MASK] of a text: `llmcli fill`.

One forward pass over the whole text; at every mask position the softmax over the
vocabulary, of which the most probable tokens are the guesses. Each mask is filled on its
own (the others stay masked), as BERT's fill-mask pipeline does.
"""

from __future__ import annotations

from dataclasses import dataclass

from llmcli.errors import UserError


@dataclass
class Guess:
    token: str  # the token's text (a leading space kept: " mat")
    probability: float


def masked_ids(tokenizer, text: str, mask_id: int) -> list[int]:
    """bos and the text's ids, a mask token for each [MASK]. A space before a mask is the
    mask's: the tokens masked in training carry their leading space (" mat"), so "on the
    [MASK]" is read as "on the" and a mask where " mat" would be."""
    from llmcli.model.tokenizer import MASK

    parts = text.split(MASK)
    ids = [tokenizer.bos_id]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        ids += tokenizer.encode(part if last or not part.endswith(" ") else part[:-1])
        ids += [] if last else [mask_id]
    return ids


def fill_masks(model, tokenizer, text: str, top: int = 5) -> tuple[list[int], list[list[Guess]]]:
    """The masks' positions (after bos) and, for each mask in order, its `top` guesses."""
    import torch

    from llmcli.model.tokenizer import MASK

    if model.config.causal:
        raise UserError("the model is causal: it predicts the next token, not masked ones; fill needs an encoder "
                        "(`llmcli train FILE --objective mlm`), or use `llmcli generate` with this one")
    mask_id = getattr(tokenizer, "mask_id", None)
    if mask_id is None:
        raise UserError(f"the model's tokenizer has no {MASK} token: train the encoder again with this llmcli")
    ids = masked_ids(tokenizer, text, mask_id)
    positions = [i for i, token in enumerate(ids) if token == mask_id]
    if not positions:
        raise UserError(f"the text has no {MASK}: write {MASK} where a word is to be guessed, e.g. "
                        f"\"the cat sat on the {MASK}\"")
    if len(ids) > model.config.context:
        raise UserError(f"the text is {len(ids)} tokens, more than the model's context of {model.config.context}: "
                        "shorten it")
    with torch.inference_mode():
        logits, _ = model(torch.tensor([ids], device=model.embed.weight.device))
    # the mask token itself (and control tokens) are never a guess: no text fills a blank with them
    never = [mask_id, tokenizer.pad_id, tokenizer.bos_id, tokenizer.eos_id, tokenizer.sep_id]
    probs = logits[0, positions].float()
    probs[:, never] = float("-inf")
    probs = probs.softmax(-1)
    best = probs.topk(min(top, probs.shape[-1]), dim=-1)
    guesses = [[Guess(tokenizer.decode([int(t)]), float(p)) for p, t in zip(row_p.tolist(), row_t.tolist())]
               for row_p, row_t in zip(best.values, best.indices)]
    return positions, guesses
