"""Greedy decoding in batches gives what decoding one example at a time gives."""

from __future__ import annotations

import pytest
from cli_helpers import run, tiny_finetune_args

from llmcli.model.generate import GenerationConfig, generate_ids, greedy_batch


def test_batched_greedy_equals_one_at_a_time(trained_model):
    from llmcli.model.loading import load_model

    loaded = load_model(trained_model)
    model, tok = loaded.model, loaded.tokenizer
    texts = ["The fox", "A crow sat", "The lion", "Once a dog", "The ant and"]
    by_length: dict[int, list[list[int]]] = {}
    for text in texts:
        ids = tok.encode(text)
        by_length.setdefault(len(ids), []).append(ids)
    config = GenerationConfig(max_new_tokens=20, temperature=0.0)
    for prompts in by_length.values():
        batched = greedy_batch(model, prompts, 20, tok.eos_id)
        single = [list(generate_ids(model, p, config, tok.eos_id)) for p in prompts]
        assert batched == single


def test_greedy_batch_stops_at_the_window(trained_model):
    from llmcli.model.loading import load_model

    model = load_model(trained_model).model
    context = model.config.context
    prompt = [5] * (context - 3)
    out = greedy_batch(model, [prompt, prompt], 100, eos_id=None)
    assert [len(o) for o in out] == [4, 4]  # context - len(prompt) + 1


def test_greedy_batch_wants_prompts_of_one_length(trained_model):
    from llmcli.model.loading import load_model

    model = load_model(trained_model).model
    with pytest.raises(ValueError):
        greedy_batch(model, [[1, 2], [1]], 5)


def test_the_lm_head_predicts_the_same_in_batches(toy_tasks, tmp_path):
    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model

    result = run("finetune", "reverse", *tiny_finetune_args(steps=30, batch_size=32, precision=None, device=None))
    assert result.exit_code == 0, result.output
    task = get_task("reverse")
    tm = load_task_model("reverse", task, precision="fp32")
    examples = [{"input": f"{a} {b}", "output": ""} for a in ("apple", "river bird", "tree") for b in ("lamp", "quiet")]
    batched = [p.text for p in tm.head.predict(tm, examples)]
    single = ["".join(tm.head.stream(tm, e)).strip() for e in examples]
    assert batched == single


def test_sample_batch_draws_distinct_seeded_rows_within_top_k():
    import torch

    from llmcli.model.generate import sample_batch
    from llmcli.model.config import ModelConfig
    from llmcli.model.transformer import Transformer

    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=50, n_layer=1, n_head=2, n_embd=16, context=32))
    config = GenerationConfig(max_new_tokens=12, temperature=1.5, top_k=5, seed=3)
    rows = sample_batch(model, [1, 2, 3], 6, config)
    assert rows == sample_batch(model, [1, 2, 3], 6, config)  # the seed repeats the batch
    assert len(rows) == 6 and len({tuple(r) for r in rows}) > 1
    with torch.inference_mode():
        first = model(torch.tensor([[1, 2, 3]]))[0][0, -1]
    allowed = set(torch.topk(first, 5).indices.tolist())
    assert all(row[0] in allowed for row in rows)
    greedy = sample_batch(model, [1, 2, 3], 3, GenerationConfig(max_new_tokens=5, temperature=0))
    assert greedy[0] == greedy[1] == greedy[2]


@pytest.mark.parametrize("extra", [{}, {"no_repeat_ngram": 2, "length_penalty": 0.6}, {"repetition_penalty": 1.3}])
def test_batched_beam_search_equals_one_prompt_at_a_time(trained_model, extra):
    from llmcli.model.batched_beams import beam_search, beam_search_batch
    from llmcli.model.loading import load_model

    loaded = load_model(trained_model)
    model, tok = loaded.model, loaded.tokenizer
    texts = ["The fox", "A crow", "The lion", "The ant", "Once", "A dog", "The wolf"]
    by_length: dict[int, list[list[int]]] = {}
    for text in texts:
        ids = tok.encode(text)
        by_length.setdefault(len(ids), []).append(ids)
    config = GenerationConfig(max_new_tokens=16, temperature=0.0, num_beams=3, **extra)
    compared = 0
    for prompts in by_length.values():
        batched = beam_search_batch(model, prompts, config, tok.eos_id)
        for prompt, ids in zip(prompts, batched):
            assert ids == beam_search(model, prompt, config, tok.eos_id)
            compared += 1
    assert compared == len(texts) and max(len(p) for p in by_length.values()) > 1
