"""Beam search, for one prompt or many at once: every prompt's beams are rows of one batch
over one KV cache, so a translation or summarization test set costs a fraction of
searching one prompt at a time. Each prompt's search is independent of the others in its
batch (tested: the same result alone or together)."""

from __future__ import annotations

import math

import torch

from llmcli.model.decoding_steps import banned_tokens, eval_mode, last_logits, model_device, penalize_repeats
from llmcli.model.generation_config import GenerationConfig


class _Search:
    """One prompt's beams, scores and finished hypotheses."""

    def __init__(self, prompt: list[int]):
        self.prompt = prompt
        self.beams: list[list[int]] = [[]]
        self.scores = [0.0]  # summed log-probs of each live beam
        self.finished: list[tuple[float, list[int]]] = []  # (normalized score, tokens), best first

    def result(self, lp: float) -> list[int]:
        finished = self.finished + [(s / len(b) ** lp, b) for s, b in zip(self.scores, self.beams) if b]
        return max(finished, key=lambda f: f[0])[1] if finished else []


def beam_search(model, prompt_ids: list[int], config: GenerationConfig | None = None, eos_id=None) -> list[int]:
    """The best continuation found by beam search (eos not included); stops when the context
    is full. Hypotheses end at eos within the top num_beams candidates, and the search stops
    when no live beam can beat the worst kept one (Hugging Face's rule)."""
    if not prompt_ids:
        raise ValueError("the prompt must contain at least one token")
    return beam_search_batch(model, [list(prompt_ids)], config or GenerationConfig(num_beams=4), eos_id)[0]


def beam_search_batch(model, prompts: list[list[int]], config: GenerationConfig, eos_id=None) -> list[list[int]]:
    """The best continuation of each prompt (all of one length), as `beam_search` finds it."""
    config = config.validate()
    if not prompts or len({len(p) for p in prompts}) != 1 or not prompts[0]:
        raise ValueError("beam_search_batch needs non-empty prompts of one length")
    context, vocab = model.config.context, model.config.vocab_size
    prompts = [list(p)[-context:] for p in prompts]
    steps = min(config.max_new_tokens, context - len(prompts[0]) + 1)
    nb, lp, device = config.num_beams, config.length_penalty, model_device(model)
    searches = [_Search(p) for p in prompts]
    with eval_mode(model), torch.inference_mode():
        cache = model.new_cache(len(prompts))
        logits = last_logits(model, torch.tensor(prompts, device=device), cache)
        owners = list(range(len(prompts)))  # the search each batch row belongs to
        seen = None
        if config.repetition_penalty != 1.0:
            seen = torch.zeros(len(prompts), vocab, dtype=torch.bool, device=device)
            for row, prompt in enumerate(prompts):
                seen[row, torch.tensor(prompt, device=device)] = True
        for step in range(steps):
            if seen is not None:
                logits = penalize_repeats(logits, seen, config.repetition_penalty)
            if config.no_repeat_ngram:
                for row, owner in enumerate(owners):
                    search = searches[owner]
                    beam = search.beams[row - owners.index(owner)]
                    banned = banned_tokens(search.prompt + beam, config.no_repeat_ngram)
                    if banned:
                        logits[row, list(banned)] = -math.inf
            scores = torch.tensor([s for i in ordered(owners) for s in searches[i].scores], device=device)
            logp = torch.log_softmax(logits, dim=-1) + scores[:, None]
            next_rows, next_owners, next_tokens = [], [], []
            start = 0
            for owner in ordered(owners):
                search = searches[owner]
                count = len(search.beams)
                block = logp[start : start + count]
                rows, tokens = step_one(search, block, step, nb, lp, vocab, eos_id, steps)
                next_rows += [start + r for r in rows]
                next_tokens += tokens
                next_owners += [owner] * len(rows)
                start += count
            if not next_rows:
                break
            index = torch.tensor(next_rows, device=device)
            cache.reorder(index)
            if seen is not None:
                seen = seen[index]
                seen[torch.arange(len(next_rows), device=device), torch.tensor(next_tokens, device=device)] = True
            owners = next_owners
            logits = last_logits(model, torch.tensor(next_tokens, device=device)[:, None], cache)
    return [search.result(lp) for search in searches]


def ordered(owners: list[int]) -> list[int]:
    """The searches with live rows, in row order (each search's rows are contiguous)."""
    out: list[int] = []
    for owner in owners:
        if not out or out[-1] != owner:
            out.append(owner)
    return out


def step_one(search: _Search, logp: torch.Tensor, step: int, nb: int, lp: float, vocab: int, eos_id,
             steps: int) -> tuple[list[int], list[int]]:
    """One step of one prompt's search (beam_search's rule); returns the rows (within its
    block) its new beams extend and their tokens, none when its search is over."""
    top, flat = logp.reshape(-1).topk(min(2 * nb, logp.numel()))
    rows, tokens, next_scores = [], [], []
    for rank, (score, index) in enumerate(zip(top.tolist(), flat.tolist())):
        if score == -math.inf:
            break
        row, token = divmod(index, vocab)
        if token == eos_id:
            if rank < nb:  # an eos outside the top nb does not end a hypothesis
                search.finished.append((score / (step + 1) ** lp, search.beams[row]))
            continue
        rows.append(row)
        tokens.append(token)
        next_scores.append(score)
        if len(rows) == nb:
            break
    search.finished = sorted(search.finished, key=lambda f: f[0], reverse=True)[:nb]
    search.beams = [search.beams[r] + [t] for r, t in zip(rows, tokens)]
    search.scores = next_scores
    over = (not search.beams or step == steps - 1
            or (len(search.finished) == nb and max(next_scores) / (step + 1) ** lp <= search.finished[-1][0]))
    if over:
        return [], []
    return rows, tokens

