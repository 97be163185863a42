"""The built-in qa task: its generated dataset, the SQuAD and JSONL loaders, SQuAD's
metrics, the passage-then-questions input of `llmcli run`, and a tiny fine-tune end to end."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from cli_helpers import ok, run, tiny_finetune_args

from llmcli.errors import UserError
from llmcli.tasks import InputTaken
from llmcli_qa import register_datasets, register_metrics, register_tasks
from llmcli_qa.generator import SIZES, generate
from llmcli_qa.loaders import read_qa_file
from llmcli_qa.metrics import normalize_answer, squad_em, squad_f1
from llmcli_qa.names import split_of
from llmcli_qa.task import QATask

SQUAD = Path(__file__).resolve().parents[1] / "../shared/data/qa/squad/dev-v1.1-part-a.json"


# -- the generated dataset -------------------------------------------------------------

def test_generated_questions_are_repeatable_and_answers_are_exact_spans():
    test = generate("test", 300, 0)
    assert test == generate("test", 300, 0)
    assert test != generate("test", 300, 1)
    assert len(test) == 300 and len({e["id"] for e in test}) == 300
    for example in test:
        assert example["question"].endswith(("?", "."))
        for answer in example["answers"]:
            start = answer["start"]
            assert example["context"][start : start + len(answer["text"])] == answer["text"]
    # several questions per paragraph, asked in many wordings, about more than the first name
    paragraphs = {e["context"] for e in test}
    assert len(test) / len(paragraphs) >= 3
    assert len({e["question"].split()[0] for e in test}) >= 8
    assert sum(e["answers"][0]["start"] == 0 for e in test) < len(test) / 10


def test_test_paragraphs_and_names_are_never_trained_on():
    train = generate("train", SIZES["train"], 0)
    test = generate("test", SIZES["test"], 0)
    assert len(train) == SIZES["train"] and len(test) == SIZES["test"]
    assert not {e["context"] for e in train} & {e["context"] for e in test}
    people = [a["text"] for e in test for a in e["answers"][:1] if len(e["answers"]) > 1
              and a["text"].split()[0][0].isupper()]  # a full name, with the surname as a second answer
    assert people and all(split_of(word) == "test" for name in people for word in name.split())


def test_the_hooks_register_what_the_task_names():
    found = {}
    for hook in (register_tasks, register_datasets, register_metrics):
        hook(lambda item: found.setdefault(item.name, item))
    task = found["qa"]
    assert task.default_dataset in found and all(m in found for m in task.metrics)
    assert found["qa-facts"].declared_sizes() == SIZES


# -- loaders -----------------------------------------------------------------------------

CONTEXT = "The Kessel Press was founded by Ada Marrow in 1871. It printed maps."


def squad_file(tmp_path, answers=None, name="data.json"):
    answers = answers or [{"text": "Ada Marrow", "answer_start": 32}, {"text": "Marrow", "answer_start": 36}]
    data = {"version": "1.1", "data": [{"title": "Kessel", "paragraphs": [{"context": CONTEXT, "qas": [
        {"id": "q1", "question": "Who founded the Kessel Press?", "answers": answers},
        {"id": "q2", "question": "When?", "answers": [{"text": "1871", "answer_start": 46}]},
    ]}]}]}
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_squad_json_keeps_every_gold_answer(tmp_path):
    examples = [e for _, e in read_qa_file(squad_file(tmp_path))]
    assert examples[0] == {"id": "q1", "question": "Who founded the Kessel Press?", "context": CONTEXT,
                           "answers": [{"text": "Ada Marrow", "start": 32}, {"text": "Marrow", "start": 36}]}
    assert [e["id"] for e in examples] == ["q1", "q2"]
    task = QATask()
    assert task.references(examples[0]) == ["Ada Marrow", "Marrow"]
    assert task.read_file(squad_file(tmp_path)) == examples


def test_jsonl_examples_and_gzip(tmp_path):
    lines = [{"question": "Who?", "context": CONTEXT, "answers": [{"text": "Ada Marrow", "start": 32}]},
             {"question": "When?", "context": CONTEXT, "answers": [{"text": "1871", "answer_start": 46}], "id": 7}]
    path = tmp_path / "qa.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(line) for line in lines).encode()))
    examples = QATask().read_file(path)
    assert examples[1] == {"question": "When?", "context": CONTEXT, "answers": [{"text": "1871", "start": 46}],
                           "id": "7"}


@pytest.mark.parametrize("answers, message", [
    ([{"text": "Ada Marrow", "answer_start": 30}], "question q1: the answer 'Ada Marrow' is not at character 30"),
    ([{"text": "Ada Marrow"}], "question q1: the answer 'Ada Marrow' needs a 'start'"),
    ([{"answer_start": 32}], "question q1, an answer: missing 'text'"),
])
def test_bad_answers_name_the_file_and_question(tmp_path, answers, message):
    path = squad_file(tmp_path, answers)
    with pytest.raises(UserError, match=f"{path}: {message}"):
        read_qa_file(path)


@pytest.mark.parametrize("name, content, message", [
    ("bad.json", b'{"data": [\n  {"title": }', r"bad.json:2:13: not valid JSON"),
    ("empty.json", b"  \n", r"empty.json: empty file"),
    ("latin.json", b'{"data": []}\n"caf\xe9"', r"latin.json:2: not UTF-8 text"),
    ("nokeys.json", b'{"data": [{"paragraphs": [{"qas": []}]}]}', r"nokeys.json: article 0, paragraph 0: missing 'context'"),
    ("bad.jsonl", b'{"question": "a", "context": "b", "answers": []}\n{oops', r"bad.jsonl:1: 'answers' is empty"),
    ("broken.jsonl", b'\n{oops', r"broken.jsonl:2:2: not valid JSON"),
    ("noq.jsonl", b'{"context": "b c", "answers": [{"text": "b", "start": 0}]}', r"noq.jsonl:1: missing 'question'"),
    ("table.tsv", b"question\tcontext\n", r"table.tsv: qa reads SQuAD JSON"),
])
def test_bad_files_are_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UserError, match=message):
        read_qa_file(path)


def test_the_real_squad_file_reads_whole():
    if not SQUAD.is_file():
        pytest.skip("../shared/data is not here")
    examples = QATask().read_file(SQUAD)
    assert len(examples) == 8582
    assert all(len(e["answers"]) >= 1 for e in examples)
    assert sum(len(e["answers"]) > 1 for e in examples) > 8000


# -- metrics -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, normal", [
    ("The Denver Broncos!", "denver broncos"),
    ("  an   apple, a pear ", "apple pear"),
    ("Theatre of the Absurd", "theatre of absurd"),  # articles are whole words only
    ("A.D. 1871", "ad 1871"),
    ("", ""),
])
def test_squad_normalization(text, normal):
    assert normalize_answer(text) == normal


def test_exact_match_and_f1_take_the_best_gold_answer():
    predictions = ["the Broncos", "Denver", "", "Carolina Panthers"]
    references = [["Denver Broncos", "Broncos"], ["Denver Broncos"], ["Denver"], ["Denver Broncos"]]
    assert squad_em(predictions, references) == {"squad_em": 25.0}
    # 1 + 2/3 (precision 1, recall 1/2) + 0 + 0, over four questions
    assert squad_f1(predictions, references)["squad_f1"] == pytest.approx(100 * (1 + 2 / 3) / 4)


# -- interactive input ---------------------------------------------------------------------

def test_the_first_input_is_the_passage_then_questions():
    registered = QATask()
    task = registered.configured({})
    with pytest.raises(InputTaken, match=r"Context set \(13 words\)"):
        task.read_input(CONTEXT)
    assert task.read_input(" Who founded it? ") == {"question": "Who founded it?", "context": CONTEXT}
    with pytest.raises(InputTaken, match=r"\(2 words\)"):
        task.read_input(":context Short passage.")
    assert task.read_input("What?")["context"] == "Short passage."
    with pytest.raises(UserError, match="after :context"):
        task.read_input(":context")
    assert registered.context is None  # a configured copy holds the passage


def test_context_option(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text(CONTEXT + "\n", encoding="utf-8")
    task = QATask().configured({"context_file": str(notes)})
    assert task.read_input("Who?") == {"question": "Who?", "context": CONTEXT}
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(UserError, match="empty.txt is empty"):
        QATask().configured({"context_file": str(tmp_path / "empty.txt")})
    with pytest.raises(UserError, match="missing.txt: no such file"):
        QATask().configured({"context_file": str(tmp_path / "missing.txt")})


# -- end to end ----------------------------------------------------------------------------

def test_tiny_finetune_eval_and_run(tmp_path):
    data = tmp_path / "facts"
    data.mkdir()
    for split, count in (("train", 120), ("validation", 20), ("test", 20)):
        lines = (json.dumps(e) for e in generate(split, count, 0))
        (data / f"{split}.jsonl").write_text("\n".join(lines), encoding="utf-8")
    ok(run("finetune", "qa", "--data", data, *tiny_finetune_args(precision=None, device=None), "--name", "tiny-qa"))

    report = json.loads(ok(run("eval", "qa", "-m", "tiny-qa", "--data", data, "--json")).stdout)
    assert set(report["metrics"]) == {"squad_em", "squad_f1"}
    assert all(0 <= v <= 100 for v in report["metrics"].values())

    notes = tmp_path / "notes.txt"
    notes.write_text(CONTEXT, encoding="utf-8")
    answer = ok(run("run", "qa", "-m", "tiny-qa", "--context", notes, "Who founded the Kessel Press?")).stdout
    first = answer.splitlines()[0]
    assert first == "(no answer found)" or first in CONTEXT

    piped = ok(run("run", "qa", "-m", "tiny-qa", input=f"{CONTEXT}\nWho founded it?\nWhen?\n"))
    assert len(piped.stdout.strip().splitlines()) == 2  # one line per question, none for the passage

    records = tmp_path / "questions.jsonl"
    records.write_text(json.dumps({"question": "Who founded it?", "context": CONTEXT}) + "\n", encoding="utf-8")
    out = json.loads(ok(run("run", "qa", "-m", "tiny-qa", "--input", records)).stdout)
    assert out["context"] == CONTEXT and out["prediction"] in CONTEXT

    alone = run("run", "qa", "-m", "tiny-qa", "Who founded it?")
    assert alone.exit_code == 1 and "Traceback" not in alone.output
    assert "qa takes this text as a setting" in alone.stderr and "--context" in alone.stderr

    # a session: the passage, a question, :context for another passage, a question
    session = ok(run("run", "qa", "-m", "tiny-qa", "-i",
                     input=f"{CONTEXT}\nWho founded it?\n:context Ada lives in Brill.\nWhere does Ada live?\n"))
    assert session.stderr.count("Context set") == 2 and "Unknown command" not in session.stderr


def test_span_reader_lets_a_token_see_the_words_after_it():
    """The span head's reader (llmcli/heads/span_reader.py): a start score changes with a
    later word, which the causal model alone never shows it; padding changes nothing."""
    import torch

    from llmcli.heads.span import SpanHead
    from llmcli.heads.span_reader import SpanReader
    from llmcli.model.loading import attach_head
    from llmcli.model.config import ModelConfig
    from llmcli.model.transformer import Transformer

    torch.manual_seed(0)
    model = Transformer(ModelConfig(vocab_size=32, n_layer=1, n_head=2, n_embd=32, context=16))
    head = SpanHead()
    assert isinstance(head.build(model_config=model.config, settings={}), torch.nn.Linear)  # before the reader
    attach_head(model, head, head.settings(task=QATask(), examples=[]))
    assert isinstance(model.task_head, SpanReader)
    ids = torch.tensor([[1, 5, 6, 7, 8, 0, 0], [1, 5, 6, 7, 9, 0, 0]])
    starts, ends = head.scores(model, ids, torch.tensor([5, 5]))
    assert not torch.allclose(starts[0, :4], starts[1, :4])
    padded, _ = head.scores(model, ids[:1, :5], torch.tensor([5]))
    assert torch.allclose(padded[0], starts[0, :5], atol=1e-5)
