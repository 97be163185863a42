"""Text generation: greedy and sampled decoding over the KV cache, streamed text. Beam
search lives in batched_beams.py, the steps every decoder shares in decoding_steps.py, and
GenerationConfig (imported from here by most callers) in generation_config.py.

The hot loop is one single-token forward per new token; everything else per token is a
handful of small tensor ops, and the optional logit processors cost nothing when off.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator

import torch

from llmcli.model.batched_beams import beam_search
from llmcli.model.decoding_steps import (
    earliest_stop, eval_mode, last_logits, model_device, partial_stop, penalize_repeats,
)
from llmcli.model.generation_config import GenerationConfig
from llmcli.model.utf8_guard import byte_values, guard_for, unfinished_ids


class _Sampler:
    """Picks each next token; keeps its bookkeeping incremental so a step costs O(vocab) tensor work."""

    def __init__(self, config: GenerationConfig, vocab: int, device, history: list[int], guard=None):
        self.config = config
        self.guard = guard  # a utf8_guard.ByteGuard: only byte tokens that make valid UTF-8
        self.history = history  # the whole sequence, shared with the caller, appended by observe()
        self.seen = None
        if config.repetition_penalty != 1.0:
            self.seen = torch.zeros(vocab, dtype=torch.bool, device=device)
            self.seen[torch.tensor(history, device=device)] = True
        self.n = config.no_repeat_ngram
        self.followers: dict[tuple[int, ...], set[int]] = {}  # (n-1)-gram -> tokens seen after it
        if self.n:
            for end in range(self.n, len(history) + 1):
                self._record(end)
        self.generator = None
        if config.temperature > 0:  # a local generator: the global RNG stays untouched
            self.generator = torch.Generator(device=device)
            if config.seed is None:
                self.generator.seed()
            else:
                self.generator.manual_seed(config.seed)

    def _record(self, end: int):
        gram = self.history[end - self.n : end]
        self.followers.setdefault(tuple(gram[:-1]), set()).add(gram[-1])

    def observe(self, token: int):
        self.history.append(token)
        if self.guard is not None:
            self.guard.observe(token)
        if self.seen is not None:
            self.seen[token] = True
        if self.n and len(self.history) >= self.n:
            self._record(len(self.history))

    def pick(self, logits: torch.Tensor) -> int | None:
        """The next token for 1-D logits, or None when the n-gram ban leaves nothing to pick."""
        cfg = self.config
        if self.guard is not None:
            logits = self.guard.mask(logits)
        if self.seen is not None:
            logits = penalize_repeats(logits, self.seen, cfg.repetition_penalty)
        if self.n:
            banned = self.followers.get(tuple(self.history[len(self.history) - self.n + 1 :]))
            if banned:
                if len(banned) >= logits.numel():
                    return None
                logits = logits.index_fill(0, torch.tensor(list(banned), device=logits.device), -math.inf)
                if not bool(torch.isfinite(logits).any()):  # the ban and the guard leave nothing
                    return None
        if cfg.temperature == 0:
            return int(logits.argmax())
        if cfg.temperature != 1:
            logits = logits / cfg.temperature
        ids = None
        if cfg.top_k is not None and cfg.top_k < logits.numel():
            logits, ids = torch.topk(logits, cfg.top_k)  # sorted, which top-p relies on
        probs = torch.softmax(logits, dim=-1)
        nucleus = cfg.top_p is not None and cfg.top_p < 1
        if nucleus and ids is None:
            probs, ids = torch.sort(probs, descending=True)
        cdf = probs.cumsum(0)
        if nucleus:  # the smallest prefix reaching top_p: keep a token while the mass before it falls short
            cdf = cdf[: max(1, int((cdf - probs < cfg.top_p).sum()))]
        # inverse-CDF sampling from one uniform draw (torch.multinomial costs ~100 us at this size)
        u = torch.rand(1, generator=self.generator, device=cdf.device) * cdf[-1]
        choice = int(torch.searchsorted(cdf, u, right=True).clamp_(max=cdf.numel() - 1))
        return choice if ids is None else int(ids[choice])


def generate_ids(model, prompt_ids: list[int], config: GenerationConfig | None = None, eos_id=None,
                 guard=None) -> Iterator[int]:
    """Yield new token ids as they are produced (eos ends generation and is not yielded).

    Runs past the context window by sliding: when the window is full, its last context//2
    tokens are re-prefilled into a fresh cache. With num_beams > 1, yields beam search's result.
    A `guard` (utf8_guard.ByteGuard) keeps sampling and greedy decoding to valid UTF-8.
    """
    config = (config or GenerationConfig()).validate()
    if not prompt_ids:
        raise ValueError("the prompt must contain at least one token")
    if config.num_beams > 1:
        return _beam_ids(model, prompt_ids, config, eos_id)
    return _generate(model, list(prompt_ids), config, eos_id, guard)


def _beam_ids(model, prompt_ids, config, eos_id) -> Iterator[int]:
    yield from beam_search(model, prompt_ids, config, eos_id)  # lazily, like the sampling path


def _generate(model, seq: list[int], config: GenerationConfig, eos_id, guard=None) -> Iterator[int]:
    if config.max_new_tokens == 0:
        return
    context = model.config.context
    keep = max(1, context // 2)
    start = max(0, len(seq) - context)  # the model sees seq[start:]
    device = model_device(model)
    # inference_mode wraps each step, never a yield, so the caller's code runs outside it
    with eval_mode(model):
        with torch.inference_mode():
            sampler = _Sampler(config, model.config.vocab_size, device, seq, guard)
            cache = model.new_cache(1) if config.use_cache else None
            logits = last_logits(model, torch.tensor([seq[start:]], device=device), cache)[0]
        token = None  # the last token picked: fed to the model at the next step
        for produced in range(config.max_new_tokens):
            with torch.inference_mode():
                if produced:
                    sampler.observe(token)  # appends to seq
                    if len(seq) - start > context:  # the window is full: slide it
                        start = len(seq) - keep
                        cache = model.new_cache(1) if cache is not None else None
                        logits = last_logits(model, torch.tensor([seq[start:]], device=device), cache)[0]
                    elif cache is not None:
                        logits = last_logits(model, torch.tensor([[token]], device=device), cache)[0]
                    else:
                        logits = last_logits(model, torch.tensor([seq[start:]], device=device), None)[0]
                token = sampler.pick(logits)
            if token is None or token == eos_id:
                return
            yield token


def greedy_batch(model, prompts: list[list[int]], max_new_tokens: int, eos_id=None, guard=None) -> list[list[int]]:
    """Greedy continuations of prompts of one length, decoded together over one batched KV
    cache (eos ends a row and is not returned). Stops where the context is full: callers
    keep prompt + max_new_tokens within it, or use generate_ids, which slides. A `guard`
    (utf8_guard.ByteGuard) keeps each row to valid UTF-8."""
    if not prompts or len({len(p) for p in prompts}) != 1 or not prompts[0]:
        raise ValueError("greedy_batch needs non-empty prompts of one length")
    return _decode_rows(model, prompts, max_new_tokens, lambda logits: logits.argmax(-1), eos_id, guard)


def _decode_rows(model, prompts: list[list[int]], max_new_tokens: int, choose, eos_id, guard=None) -> list[list[int]]:
    """Rows decoded together over one KV cache, `choose(logits)` picking each step's
    tokens; a row ends at eos (not returned), all end where the context is full."""
    guards = [guard.fresh() for _ in prompts] if guard is not None else None
    device = model_device(model)
    steps = min(max_new_tokens, model.config.context - len(prompts[0]) + 1)
    out: list[list[int]] = [[] for _ in prompts]
    open_rows = set(range(len(prompts)))
    with eval_mode(model), torch.inference_mode():
        cache = model.new_cache(len(prompts))
        logits = last_logits(model, torch.tensor(prompts, device=device), cache)
        for step in range(steps):
            if guards is not None:
                logits = logits.masked_fill(torch.stack([g.masked() for g in guards]), -math.inf)
            tokens = choose(logits)
            for row, token in enumerate(tokens.tolist()):
                if guards is not None:
                    guards[row].observe(token)
                if row in open_rows:
                    if token == eos_id:
                        open_rows.discard(row)
                    else:
                        out[row].append(token)
            if not open_rows or step == steps - 1:
                break
            logits = last_logits(model, tokens[:, None], cache)
    return out


def sample_batch(model, prompt_ids: list[int], count: int, config: GenerationConfig, eos_id=None,
                 guard=None) -> list[list[int]]:
    """`count` sampled continuations of one prompt, drawn together over one batched KV
    cache (temperature, top-k and top-p; eos ends a row and is not returned): what pass@k
    needs, many samples per problem, at about the cost of one. Stops where the context is
    full. Rows use one generator seeded by `config.seed`, so a seed repeats the batch. A
    `guard` keeps each row to valid UTF-8, as in greedy_batch."""
    config = config.validate()
    if not prompt_ids or count < 1:
        raise ValueError("sample_batch needs a non-empty prompt and count >= 1")
    prompt = list(prompt_ids)[-model.config.context :]
    if config.temperature == 0:
        return greedy_batch(model, [prompt], config.max_new_tokens, eos_id, guard) * count
    generator = torch.Generator(device=model_device(model))
    if config.seed is None:
        generator.seed()
    else:
        generator.manual_seed(config.seed)
    return _decode_rows(model, [prompt] * count, config.max_new_tokens,
                        lambda logits: _sample_rows(logits.float(), config, generator), eos_id, guard)


def _sample_rows(logits: torch.Tensor, config: GenerationConfig, generator) -> torch.Tensor:
    """One token per row of 2-D logits, with temperature, top-k and top-p."""
    logits = logits / config.temperature
    if config.top_k is not None and config.top_k < logits.shape[-1]:
        kth = torch.topk(logits, config.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, -math.inf)
    if config.top_p is not None and config.top_p < 1:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)
        probs = torch.softmax(sorted_logits, dim=-1)
        drop = probs.cumsum(-1) - probs >= config.top_p  # the mass before a token already reaches top_p
        sorted_logits = sorted_logits.masked_fill(drop, -math.inf)
        logits = torch.full_like(logits, -math.inf).scatter(-1, order, sorted_logits)
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


class _Detokenizer:
    """Incremental decoding: re-decodes only the ids since the last complete piece (no O(n^2)),
    and holds back text that ends in half a UTF-8 character (byte-fallback tokens); at the
    end, a character still half written is dropped."""

    def __init__(self, tokenizer, prompt_ids: list[int]):
        self.tokenizer = tokenizer
        # a little prompt context, so the first piece keeps its leading space (sentencepiece
        # drops the space of a decoded text's first word)
        self.ids = list(prompt_ids[-4:])
        self.prefix = 0  # ids[prefix:read] were already emitted; decoding from prefix keeps spacing right
        self.read = len(self.ids)
        self.byte_of = byte_values(tokenizer)

    def add(self, ids: list[int], final: bool = False) -> str:
        self.ids.extend(ids)
        if final:  # a character cut off by the end: never written half
            cut = unfinished_ids(self.byte_of, self.ids[self.read :])
            del self.ids[len(self.ids) - cut :]
        if self.read == len(self.ids):
            return ""
        before = self.tokenizer.decode(self.ids[self.prefix : self.read])
        text = self.tokenizer.decode(self.ids[self.prefix :])
        if text.endswith("\ufffd") and not final:
            return ""  # wait for the rest of the character
        piece = text[len(before) :]
        if piece:  # a window must start at a token with visible text: after a control token
            self.prefix = self.read  # (decoded as ""), sentencepiece would drop the next space
        self.read = len(self.ids)
        if self.prefix > 64:  # drop what is no longer needed
            del self.ids[: self.prefix]
            self.read -= self.prefix
            self.prefix = 0
        return piece


def stream_text(model, tokenizer, prompt: str, config: GenerationConfig | None = None, eos_id=None,
                timing: Timing | None = None) -> Iterator[str]:
    """Yield the continuation of prompt piece by piece, cut before the first stop string.

    eos_id defaults to the tokenizer's. With num_beams > 1 the whole text comes at once.
    """
    config = (config or GenerationConfig()).validate()
    if eos_id is None:
        eos_id = getattr(tokenizer, "eos_id", None)
        if eos_id is not None and eos_id < 0:  # sentencepiece's "no such token"
            eos_id = None
    prompt_ids = tokenizer.encode(prompt)
    bos_id = getattr(tokenizer, "bos_id", None)
    if not prompt_ids and bos_id is not None and bos_id >= 0:
        prompt_ids = [bos_id]
    return stream_from_ids(model, tokenizer, prompt_ids, config, eos_id, timing)


def stream_from_ids(model, tokenizer, prompt_ids: list[int], config: GenerationConfig, eos_id=None,
                    timing: "Timing | None" = None) -> Iterator[str]:
    """stream_text for a prompt already encoded (a task's prompt starts with bos, say).
    A `timing` is filled in as the tokens come."""
    guard = guard_for(tokenizer, model.config, model_device(model))
    ids = generate_ids(model, prompt_ids, config, eos_id, guard)  # validates eagerly, before the first next()
    if timing is not None:
        timing.prompt_tokens = len(prompt_ids)
        ids = _timed(ids, timing)
    return _stream(ids, _Detokenizer(tokenizer, prompt_ids), config.stop, config.num_beams > 1)


@dataclass
class Timing:
    """What a stream measured: the prompt's tokens, the tokens written, the seconds to the
    first new token (reading the prompt, then one step) and in all."""

    prompt_tokens: int = 0
    tokens: int = 0
    first_token_s: float | None = None
    seconds: float = 0.0

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0


def _timed(ids: Iterator[int], timing: Timing) -> Iterator[int]:
    started = time.perf_counter()
    try:
        for token in ids:
            timing.seconds = time.perf_counter() - started
            if timing.first_token_s is None:
                timing.first_token_s = timing.seconds
            timing.tokens += 1
            yield token
        timing.seconds = time.perf_counter() - started
    finally:
        if hasattr(ids, "close"):
            ids.close()


def _stream(ids: Iterator[int], detok: _Detokenizer, stops, all_at_once: bool) -> Iterator[str]:
    pending = ""  # decoded text not yet emitted: it might be the start of a stop string
    try:
        if all_at_once:
            pending = detok.add(list(ids), final=True)
        else:
            for token in ids:
                pending += detok.add([token])
                if not stops:
                    if pending:
                        yield pending
                        pending = ""
                    continue
                cut = earliest_stop(pending, stops)
                if cut is not None:
                    if cut:
                        yield pending[:cut]
                    return
                safe = len(pending) - partial_stop(pending, stops)
                if safe:
                    yield pending[:safe]
                    pending = pending[safe:]
            pending += detok.add([], final=True)  # whatever is left, half characters included
        cut = earliest_stop(pending, stops)
        pending = pending if cut is None else pending[:cut]
        if pending:
            yield pending
    finally:
        if hasattr(ids, "close"):
            ids.close()  # stop the model at once, and restore its train/eval mode


def generate_text(model, tokenizer, prompt: str, config: GenerationConfig | None = None, eos_id=None) -> str:
    """The whole continuation of prompt as one string."""
    return "".join(stream_text(model, tokenizer, prompt, config, eos_id))
