"""Several samples of one prompt (`llmcli generate -N`), drawn together in one batched pass
over one KV cache, each cut before the first stop string."""

from __future__ import annotations

CONTEXT_IDS = 4  # prompt ids decoded before each sample, so its first word keeps its space


def sample_texts(model, tokenizer, prompt_ids: list[int], count: int, config, eos_id=None) -> list[tuple[str, int]]:
    """(text, tokens written) for `count` continuations of the prompt, sampled with
    `config` (temperature, top-k, top-p, max_new_tokens, stop, seed: the same seed draws
    the same set)."""
    from llmcli.model.decoding_steps import earliest_stop, model_device
    from llmcli.model.generate import sample_batch
    from llmcli.model.utf8_guard import complete_text, guard_for

    guard = guard_for(tokenizer, model.config, model_device(model))
    lead = list(prompt_ids[-CONTEXT_IDS:])
    before = tokenizer.decode(lead)
    out = []
    for ids in sample_batch(model, prompt_ids, count, config, eos_id, guard):
        text = complete_text(tokenizer, lead + ids)[len(before):]
        cut = earliest_stop(text, config.stop)
        out.append((text if cut is None else text[:cut], len(ids)))
    return out
