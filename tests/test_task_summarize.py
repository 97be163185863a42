"""The summarize task: its generated dataset, its loaders, ROUGE over several references,
a tiny fine-tune and eval end to end, and the DialogSum files when ../shared has them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_helpers import run, tiny_finetune_args

from llmcli.errors import UserError
from llmcli.metrics.text import rouge
from llmcli_summarize import register_datasets, register_tasks
from llmcli_summarize.dialogues import arrangement
from llmcli_summarize.generator import SIZES, generate, split_of
from llmcli_summarize.news import COMPANIES
from llmcli_summarize.task import SummarizeTask
from llmcli_summarize.words import DAYS, FIRST_NAMES, MONTHS, SURNAMES, TOWNS

DIALOGSUM = Path(__file__).resolve().parents[1] / "../shared/data/summarization/dialogsum"
# words a summary may only contain when its document does: names, places, days, numbers
FACT_WORDS = set(FIRST_NAMES) | set(SURNAMES) | set(TOWNS) | set(DAYS) | set(MONTHS) | set(COMPANIES)


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# -- the generated dataset ------------------------------------------------------------

def test_examples_are_repeatable_and_the_splits_share_no_summary():
    assert generate("test", 40, 0) == generate("test", 40, 0)
    assert generate("test", 40, 0) != generate("test", 40, 1)
    summaries = {split: {e["summary"] for e in generate(split, SIZES[split], 0)} for split in SIZES}
    assert not summaries["train"] & summaries["test"] and not summaries["train"] & summaries["validation"]
    assert not summaries["validation"] & summaries["test"]
    assert all(split_of(s) == "test" for s in summaries["test"])
    assert len(summaries["train"]) > 0.95 * SIZES["train"]  # hardly any document is repeated


def test_summaries_state_facts_their_documents_hold():
    examples = generate("validation", SIZES["validation"], 0)
    for example in examples:
        document = set(re.findall(r"[\w.]+", example["document"]))
        facts = {w for w in re.findall(r"[\w.]+", example["summary"]) if w in FACT_WORDS or w[0].isdigit()}
        assert facts <= document | {w.rstrip(".") for w in document}, example
        assert facts, example  # every summary names who, where or when
    lengths = [len(e["document"].split()) for e in examples]
    assert 20 <= min(lengths) and max(lengths) <= 140 and 40 <= sum(lengths) / len(lengths) <= 80


def test_a_dialogue_summary_states_the_day_agreed_not_the_one_turned_down():
    import random

    rng = random.Random(3)
    refused = 0
    for _ in range(300):
        document, summary = arrangement(rng)
        match = re.search(r"(\w+day) is no good|I can't on (\w+day)|Sorry, on (\w+day)", document)
        if match:
            refused += 1
            day = next(g for g in match.groups() if g)
            assert day not in summary
    assert refused > 50


def test_the_hooks_register_the_task_and_its_dataset():
    found = {}
    for hook in (register_tasks, register_datasets):
        hook(lambda item: found.setdefault(item.name, item))
    task = found["summarize"]
    assert task.default_dataset == "summarize-facts" and found["summarize-facts"].task == "summarize"
    assert task.metrics == ("rouge",) and task.decoding["num_beams"] == 4


# -- loaders ---------------------------------------------------------------------------

def test_dialogsum_style_records_with_numbered_summaries(tmp_path):
    path = write_jsonl(tmp_path / "test.jsonl", [
        {"fname": "t0", "dialogue": "A: Hi.\nB: Hello.", "summary1": "one", "summary2": "two", "summary10": "ten",
         "topic1": "greeting"},
        {"fname": "t1", "dialogue": "A: Bye.", "summary": "bye"},
    ])
    first, second = SummarizeTask().read_file(path)
    assert first == {"document": "A: Hi.\nB: Hello.", "summary": "one", "references": ["one", "two", "ten"]}
    assert SummarizeTask().references(first) == ["one", "two", "ten"]
    assert second["references"] == ["bye"]


def test_fields_are_configurable_and_a_list_is_several_references(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps([{"body": "Rain in Upton.", "gist": ["Rain.", "Upton got rain."]}]), encoding="utf-8")
    task = SummarizeTask().configured({"source_field": "body", "summary_field": "gist"})
    assert task.read_file(path) == [{"document": "Rain in Upton.", "summary": "Rain.",
                                     "references": ["Rain.", "Upton got rain."]}]
    with pytest.raises(UserError, match=r"data.json: item 0: no 'document' or 'dialogue'"):
        SummarizeTask().read_file(path)
    with pytest.raises(UserError, match="--source-field needs a field name"):
        SummarizeTask().configured({"source_field": " "})


@pytest.mark.parametrize("content, message", [
    ('{"dialogue": "A: Hi."}\n', r"bad.jsonl:1: no summary in a 'summary' \(or summary1, summary2...\) field"),
    ('{"document": "x", "summary": "y"}\n{"summary": "y"}\n', r"bad.jsonl:2: no 'document' or 'dialogue'"),
    ('{"document": "  ", "summary": "y"}\n', r"bad.jsonl:1: the 'document' field is empty"),
    ('{"document": "x", "summary": 3}\n', r"bad.jsonl:1: a 'summary' value is int, not text"),
    ("", r"bad.jsonl: no examples in it"),
    ('{"document": "x",\n', r"bad.jsonl:1: not valid JSON"),
])
def test_bad_files_are_one_line_naming_the_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message):
        SummarizeTask().read_file(path)


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"document": "ok", "summary": "ok"}\n{"document": "caf\xe9", "summary": "x"}\n')
    with pytest.raises(UserError, match=r"latin.jsonl:2: not UTF-8"):
        SummarizeTask().read_file(path)


def test_rouge_takes_the_best_reference():
    best = rouge(["anna meets tom on friday"], [["the weather was bad", "anna meets tom on friday"]])
    assert best["rougeL"] == pytest.approx(100.0)


def test_typed_documents_keep_their_lines_and_records_their_own_field_name():
    task = SummarizeTask()
    assert task.read_input("  A: Hi.   \nB: Hello.\n") == {"document": "A: Hi.\nB: Hello."}
    with pytest.raises(UserError, match="nothing to summarize"):
        task.read_input("   ")
    assert task.render_prompt({"dialogue": "A: Hi."}) == "A: Hi.\nSummary:"


# -- end to end ------------------------------------------------------------------------

def test_finetune_eval_and_run_on_a_dialogsum_style_folder(tmp_path):
    folder = tmp_path / "chats"
    folder.mkdir()
    for split, count in (("train", 48), ("dev", 8), ("test", 4)):
        rows = [{"dialogue": e["document"], "summary1": e["summary"], "summary2": e["summary"].upper()}
                for e in generate(split if split != "dev" else "validation", count, 0)]
        write_jsonl(folder / f"{split}.jsonl", rows)
    trained = run("finetune", "summarize", "--data", folder, "--name", "tiny-sum", *tiny_finetune_args(steps=2))
    assert trained.exit_code == 0, trained.output
    report = run("eval", "summarize", "-m", "tiny-sum", "--data", folder, "--limit", "2", "--beams", "2", "--json")
    assert report.exit_code == 0, report.output
    figures = json.loads(report.stdout)
    assert figures["examples"] == 2 and set(figures["metrics"]) == {"rouge1", "rouge2", "rougeL"}
    document = tmp_path / "doc.txt"
    document.write_text("Anna: Lunch on Friday?\nTom: Yes, at noon.\n", encoding="utf-8")
    answered = run("run", "summarize", "-m", "tiny-sum", "--file", document, "--max-new-tokens", "8")
    assert answered.exit_code == 0, answered.output


# -- the real DialogSum files, when ../shared has them -----------------------------------

def test_dialogsum_files_load_with_the_default_fields():
    if not DIALOGSUM.is_dir():
        pytest.skip("no ../shared/data/summarization/dialogsum")
    task = SummarizeTask()
    dev = task.read_file(DIALOGSUM / "dialogsum.dev.jsonl")
    test = task.read_file(DIALOGSUM / "dialogsum.test.jsonl")
    assert len(dev) == len(test) == 500
    assert all(len(e["references"]) == 1 for e in dev)
    assert all(len(e["references"]) == 3 for e in test)
    assert all(e["document"].startswith("#Person1#:") for e in test[:20])
