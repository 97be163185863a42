"""BLEU, chrF and ROUGE come from sacrebleu and rouge-score, with several references."""

from __future__ import annotations

import pytest
from cli_helpers import run, tiny_finetune_args

from llmcli.metrics.text import bleu, chrf, reference_streams, rouge


def test_reference_streams_repeat_the_first_reference():
    assert reference_streams([["a", "b"], ["c"]]) == [["a", "c"], ["b", "c"]]


def test_bleu_and_chrf_match_sacrebleu_and_carry_their_signatures():
    import sacrebleu

    predictions = ["the cat sat on the mat", "a dog runs in the park"]
    references = [["the cat sat on the mat"], ["the dog is running in a park"]]
    result = bleu(predictions, references)
    expected = sacrebleu.corpus_bleu(predictions, [[r[0] for r in references]]).score
    assert result["bleu"] == pytest.approx(expected)
    assert 0 < result["bleu"] < 100
    assert result["bleu_signature"].startswith("nrefs:1|")
    assert chrf(predictions, references)["chrf_signature"].startswith("nrefs:1|")
    assert bleu(["x y z"], [["a b c"]])["bleu"] == 0.0


def test_a_second_reference_can_only_help_bleu():
    one = bleu(["a dog runs in the park"], [["the dog is running in a park"]])["bleu"]
    two = bleu(["a dog runs in the park"], [["the dog is running in a park", "a dog runs in the park"]])
    assert two["bleu"] == pytest.approx(100.0) and two["bleu"] > one
    assert two["bleu_signature"].startswith("nrefs:2|")


def test_rouge_takes_the_best_reference_and_stems():
    result = rouge(["the cats are running"], [["a dog sleeps", "the cat is running"]])
    assert set(result) == {"rouge1", "rouge2", "rougeL"}
    # "cats"/"cat" and "running"/"running" match after stemming: 3 of 4 words each way
    assert result["rouge1"] == pytest.approx(75.0)
    assert rouge(["same words here"], [["same words here"]])["rougeL"] == pytest.approx(100.0)


def test_eval_reports_bleu_with_its_signature(toy_tasks, monkeypatch):
    import json

    monkeypatch.setattr(toy_tasks.Reverse, "metrics", ("bleu", "chrf", "rouge"))
    trained = run("finetune", "reverse", *tiny_finetune_args(precision=None, device=None))
    assert trained.exit_code == 0, trained.output
    result = run("eval", "reverse", "-m", "reverse", "--limit", "4", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["metrics"]) == {"bleu", "chrf", "rouge1", "rouge2", "rougeL"}
    assert report["notes"]["bleu_signature"].startswith("nrefs:1|")
    table = run("eval", "reverse", "-m", "reverse", "--limit", "4")
    assert "bleu_signature: nrefs:1|" in table.stdout
