"""The built-in sentiment task: its generated reviews (deterministic, balanced, splits
apart, negation labelled right), its loaders (SST-2's TSV, CSV, JSONL, named columns, one
line errors), the confusion matrix, and a tiny fine-tune, eval and run end to end."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from cli_helpers import ok, one_line_error, run, tiny_finetune_args, write_splits
from llmcli.paths import models_dir
from llmcli_sentiment.confusion import confusion_matrix
from llmcli_sentiment.generator import generate, held_out_pairs, split_of
from llmcli_sentiment.lexicon import DOMAINS, GENERAL, NEGATORS, adjective
from llmcli_sentiment.loaders import read_examples
from llmcli_sentiment.task import SentimentTask

from llmcli.errors import UserError
from llmcli.tasks import Prediction

REPO = Path(__file__).resolve().parents[1]
SST2 = REPO / ".." / "shared" / "data" / "sentiment" / "sst2"


@pytest.fixture(scope="module")
def reviews():
    return {split: generate(split, count, 0) for split, count in
            (("train", 20_000), ("validation", 500), ("test", 1_000))}


# -- the generated dataset ----------------------------------------------------------------


def test_generation_is_deterministic_from_the_seed():
    assert generate("validation", 60, 0) == generate("validation", 60, 0)
    assert generate("validation", 60, 0) != generate("validation", 60, 1)
    assert generate("train", 60, 0) != generate("test", 60, 0)


def test_every_split_is_balanced(reviews):
    for split, examples in reviews.items():
        counts = Counter(e["label"] for e in examples)
        assert counts["positive"] == counts["negative"] == len(examples) // 2, split
        assert set(Counter(e["domain"] for e in examples)) == {"film", "restaurant", "product"}


def test_splits_share_no_text(reviews):
    texts = {split: {e["text"].lower() for e in examples} for split, examples in reviews.items()}
    assert not texts["train"] & texts["test"]
    assert not texts["train"] & texts["validation"]
    assert not texts["validation"] & texts["test"]
    assert len(texts["test"]) == 1_000 and len(texts["validation"]) == 500  # no repeats
    plain = [e for e in reviews["train"] if split_of(e["text"]) != "train"]
    assert not plain


def pattern_of(pair: str) -> re.Pattern:
    """How a negated pair reads in a text made by words_of: "not:soggy" is "not soggy"
    or "wasn't soggy", but not "not soggy at all" (the pair "not at all:soggy")."""
    negator, adj = pair.split(":")
    adj = re.escape(adj)
    if negator == "not at all":
        return re.compile(rf"(?: not|n't) {adj} at all | not at all {adj} ")
    if negator == "not":
        return re.compile(rf"(?: not|n't) {adj} (?!at all )")
    return re.compile(rf" {negator} {adj} ")


def words_of(text: str) -> str:
    """Lower-case words with a space on each side, punctuation gone (apostrophes kept)."""
    return " " + re.sub(r"[^a-z'-]+", " ", text.lower()) + " "


def test_held_out_negations_are_tested_never_trained(reviews):
    pairs = held_out_pairs()
    assert 50 < len(pairs) and set(pairs.values()) == {"validation", "test"}
    # checked on the texts, not by the generator's own bookkeeping: "never soggy" is in no training text
    train_text = words_of(" | ".join(e["text"] for e in reviews["train"]))
    assert not [p for p in pairs if pattern_of(p).search(train_text)]
    test_pairs = [pattern_of(p) for p, split in pairs.items() if split == "test"]
    with_held_out = sum(any(p.search(words_of(e["text"])) for p in test_pairs) for e in reviews["test"])
    assert with_held_out == 500  # half the test reviews


def polarity_words() -> dict[str, str]:
    """Adjectives with one polarity in every group they are in."""
    seen: dict[str, set] = {}
    groups = [g for groups in DOMAINS.values() for g in groups] + [([], *GENERAL)]
    for group in groups:
        for label, words in (("positive", group[1]), ("negative", group[2])):
            for word in words:
                seen.setdefault(adjective(word)[0], set()).add(label)
    return {word: labels.pop() for word, labels in seen.items() if len(labels) == 1}


def test_negation_flips_the_label(reviews):
    polarity = polarity_words()
    flip = {"positive": "negative", "negative": "positive"}
    checked = 0
    pattern = re.compile(r"^the [a-z ]+ (?:was|is|were|are) (not|never|far from|anything but) ([a-z-]+)\.$")
    for example in reviews["train"]:
        match = pattern.match(example["text"].lower())
        if match and match.group(2) in polarity:
            assert example["label"] == flip[polarity[match.group(2)]], example
            checked += 1
    assert checked > 300


def test_the_phrasing_people_type_is_well_covered(reviews):
    texts = [(e["text"].lower(), e["label"]) for e in reviews["train"]]
    assert sum("not bad at all" in t for t, _ in texts) >= 200
    not_bad = [label for text, label in texts if "not bad at all, i " in text]  # "..., I loved it"
    assert len(not_bad) >= 5 and set(not_bad) == {"positive"}
    assert sum("never disappointing" in t or "not disappointing" in t for t, _ in texts) >= 10
    assert sum(" but " in t for t, _ in texts) >= 2_000  # contrast
    assert sum(t.startswith(("although", "even though")) for t, _ in texts) >= 300
    assert sum(any(w in t.split() for w in ("really", "absolutely")) for t, _ in texts) >= 1_000
    # "the start was slow but the ending was wonderful"
    assert sum(bool(re.match(r"the [a-z ]+ (was|is) [a-z ]+,? but the [a-z ]+ (was|is) ", t)) for t, _ in texts) >= 300
    for negator in NEGATORS:
        assert sum(negator in t for t, _ in texts) >= 300, negator


# -- loaders --------------------------------------------------------------------------------


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_tsv_with_a_header_and_zero_one_labels(tmp_path):
    path = write(tmp_path / "train.tsv", "sentence\tlabel\na fine film \t1\na dull film\t0\n")
    assert read_examples(path) == [{"text": "a fine film", "label": "positive"},
                                   {"text": "a dull film", "label": "negative"}]


def test_other_labels_are_kept_as_written(tmp_path):
    path = write(tmp_path / "three.jsonl", '{"text": "good", "label": 2}\n{"text": "bad", "label": 0}\n'
                                           '{"text": "so so", "label": 1}\n')
    assert [e["label"] for e in read_examples(path)] == ["2", "0", "1"]


def test_csv_and_jsonl_with_columns_named(tmp_path):
    csv = write(tmp_path / "data.csv", 'review,stars,verdict\n"good, really",5,pos\n"awful",1,neg\n')
    assert read_examples(csv, label_column="verdict") == [{"text": "good, really", "label": "pos"},
                                                          {"text": "awful", "label": "neg"}]
    jsonl = write(tmp_path / "data.jsonl", '{"body": "loved it", "y": "positive"}\n\n'
                                           '{"body": "hated it", "y": "negative"}\n')
    assert read_examples(jsonl, "body", "y")[1] == {"text": "hated it", "label": "negative"}


@pytest.mark.parametrize("name, content, columns, message", [
    ("a.tsv", "text\tstars\nfine\t5\n", {}, "a.tsv:2: no label column 'label' (the record has 'text', 'stars')"),
    ("b.csv", "body,label\nfine,1\n", {}, "b.csv:2: no text column"),
    ("c.jsonl", '{"text": "ok", "label": "positive"}\n{"text": "meh"}\n', {}, "c.jsonl:2: no label column"),
    ("d.jsonl", '{"text": "ok", "label": ""}\n', {}, "d.jsonl:1: the label in 'label' is empty"),
    ("e.jsonl", '{"text": "ok", "label": null}\n', {}, "e.jsonl:1: the label in 'label' is missing"),
    ("f.jsonl", "", {}, "f.jsonl: empty file"),
    ("g.tsv", "", {}, "g.tsv: empty file"),
    ("h.tsv", b"sentence\tlabel\nok\t1\n\xff bad\t0\n", {}, "h.tsv:3: not UTF-8"),
    ("i.csv", "sentence,label\nok,1\n", {"text_column": "body"}, "i.csv:2: no column 'body'"),
    ("j.jsonl", '{"text": 5, "label": "positive"}\n', {}, "j.jsonl:1: the text in 'text' is int"),
    ("k.tsv", "sentence\tlabel\n", {}, "k.tsv: empty file: no examples"),
])
def test_bad_files_are_one_clear_error(tmp_path, name, content, columns, message):
    path = write(tmp_path / name, content)
    with pytest.raises(UserError) as caught:
        read_examples(path, **columns)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_task_reads_files_with_its_options(tmp_path):
    path = write(tmp_path / "data.csv", "body,y\nnice,good\nugly,bad\n")
    task = SentimentTask().configured({"text_column": "body", "label_column": "y"})
    assert task.read_file(path) == [{"text": "nice", "label": "good"}, {"text": "ugly", "label": "bad"}]
    with pytest.raises(UserError, match="--text-column"):
        SentimentTask().read_file(path)


@pytest.mark.skipif(not SST2.is_dir(), reason="../shared/data is not here")
def test_sst2_is_read_as_it_is():
    train = read_examples(SST2 / "train.tsv")
    assert len(train) == 67_349
    assert Counter(e["label"] for e in train).keys() == {"negative", "positive"}
    dev = SentimentTask().read_file(SST2 / "dev-part-a.tsv")
    assert len(dev) == 436 and all(e["text"] == e["text"].strip() for e in dev)


def test_the_prompt_is_lower_case_with_spacing_folded():
    task = SentimentTask()
    assert task.render_prompt({"text": "NOT  bad at all,\tI Loved it", "label": "positive"}) == \
        "not bad at all, i loved it"


# -- the confusion matrix ---------------------------------------------------------------------


def test_confusion_matrix_counts_gold_against_predicted():
    matrix = confusion_matrix(["positive", "positive", "negative", "negative", "negative"],
                              ["positive", "negative", "negative", "negative", "positive"],
                              ["negative", "positive"])
    assert matrix == {"labels": ["negative", "positive"], "counts": [[2, 1], [1, 1]]}


def test_the_task_reports_and_draws_the_matrix():
    from rich.console import Console

    task = SentimentTask()
    examples = [{"text": "a", "label": "positive"}, {"text": "b", "label": "negative"}]
    predictions = [Prediction("positive"), Prediction("positive")]
    extra = task.extra_report(examples, predictions)
    assert extra == {"confusion_matrix": {"labels": ["negative", "positive"], "counts": [[0, 1], [0, 1]]}}
    console = Console(record=True, width=100)
    task.show_extra(console, extra)
    drawn = console.export_text()
    assert "confusion matrix" in drawn and "recall" in drawn and "100.0%" in drawn


def test_the_output_names_the_label_and_its_probability():
    from rich.console import Console

    console = Console(record=True, width=100)
    SentimentTask().show_output(console, {"text": "x"},
                                Prediction("positive", {"probabilities": {"negative": 0.2, "positive": 0.8}}))
    drawn = console.export_text()
    assert drawn.splitlines()[0].startswith("positive  (80.0% sure)") and "20.0%" in drawn


# -- end to end -----------------------------------------------------------------------------------


@pytest.fixture
def small_folder(tmp_path):
    """A folder of small generated splits, as JSONL files a user might have."""
    return write_splits(tmp_path / "reviews", generate, {"train": 400, "validation": 24, "test": 40})


def test_finetune_eval_and_run(small_folder, tmp_path):
    ok(run("finetune", "sentiment", "--data", small_folder, "--name", "tiny", "--pooling", "mean",
           *tiny_finetune_args(steps=8, batch_size=16)))
    config = json.loads((models_dir() / "tiny" / "config.json").read_text())
    assert config["task"]["settings"]["pooling"] == "mean"
    report = json.loads(ok(run("eval", "sentiment", "-m", "tiny", "--data", small_folder, "--json")).stdout)
    assert report["examples"] == 40 and set(report["metrics"]) == {"accuracy", "macro_f1"}
    matrix = report["confusion_matrix"]
    assert matrix["labels"] == ["negative", "positive"] and sum(map(sum, matrix["counts"])) == 40
    drawn = ok(run("eval", "sentiment", "-m", "tiny", "--data", small_folder, "--show", 0)).stdout
    assert "confusion matrix" in drawn
    shown = ok(run("run", "sentiment", "-m", "tiny", "not bad at all, I loved it")).stdout
    assert re.search(r"(positive|negative)  \(\d+\.\d% sure\)", shown), shown

    # a CSV with columns of other names, scored through the task's options
    csv = write(tmp_path / "mine.csv", "body,verdict\nI loved it,positive\nNever again,negative\n")
    report = json.loads(ok(run("eval", "sentiment", "-m", "tiny", "--data", csv, "--text-column", "body",
                               "--label-column", "verdict", "--json")).stdout)
    assert report["examples"] == 2
    one_line_error(run("eval", "sentiment", "-m", "tiny", "--data", csv), "mine.csv:2", "--text-column")


def test_the_generated_dataset_is_listed_and_shown():
    shown = ok(run("data", "show", "sentiment-reviews", "-n", 2, "--split", "test")).output
    assert "train 20,000" in shown and "test 1,000" in shown


def test_importing_the_plugin_does_not_import_torch():
    code = ("import sys, llmcli_sentiment, llmcli_sentiment.task, llmcli_sentiment.generator; "
            "llmcli_sentiment.generator.generate('test', 4, 0); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
