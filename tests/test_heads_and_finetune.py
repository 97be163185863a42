"""The built-in heads (lm, classify, span) and `finetune` / `eval` / `data` on the toy tasks.

The toy datasets are made smaller for these tests (their SIZES), and every fine-tuning run
is a nano model on a few steps in fp32 on small batches, so that the whole file stays fast.
"""

from __future__ import annotations

import json
import math

import pytest
from cli_helpers import ok, one_line_error, run, tiny_finetune_args
import toy_tasks as toy_module
import torch

from llmcli.errors import UserError
from llmcli.heads.classification import ClassificationHead
from llmcli.heads.language_model import LanguageModelHead
from llmcli.heads.span import MAX_ANSWER_TOKENS, NO_ANSWER, SpanHead, best_span
from llmcli.task_model import TaskModel

SMALL_SIZES = {"train": 160, "validation": 16, "test": 16}


@pytest.fixture(autouse=True)
def small_toy_data(monkeypatch):
    """Smaller toy datasets, and no plugin from the environment beside the toy one."""
    monkeypatch.setattr(toy_module, "SIZES", SMALL_SIZES)
    monkeypatch.setenv("LLMCLI_LOAD_PLUGINS", "")


def step_losses(run_dir) -> list[float]:
    events = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [e["loss"] for e in events if e["event"] == "step"]


def eval_json(task, model, *extra):
    result = ok(run("eval", task, "-m", model, "--json", *extra))
    return json.loads(result.stdout)


# -- fine-tune, then eval, one task per head ------------------------------------------------------


def test_finetune_and_eval_reverse(toy_tasks, llmcli_home):
    ok(run("finetune", "reverse", *tiny_finetune_args(steps=30)))
    run_dir = llmcli_home / "models" / "reverse"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task"]["name"] == "reverse" and config["task"]["head"] == "lm"
    assert config["task"]["plugin"] == "toy"
    assert config["data"] == {"dataset": "reverse-gen", "train_examples": 160, "validation_examples": 16,
                              "sha256": config["data"]["sha256"]}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["steps"] == 30
    losses = step_losses(run_dir)
    assert len(losses) == 30
    # the loss on the target tokens falls fast: the answers use a dozen words
    assert sum(losses[-5:]) / 5 < 0.75 * losses[0], losses
    assert summary["val_loss"] < losses[0]

    report = eval_json("reverse", "reverse", "--limit", 4)
    assert report["task"] == "reverse" and report["model"] == "reverse"
    assert report["dataset"] == "reverse-gen" and report["split"] == "test" and report["examples"] == 4
    assert set(report["metrics"]) == {"exact_match"}
    assert 0 <= report["metrics"]["exact_match"] <= 100


def test_finetune_and_eval_bird(toy_tasks, llmcli_home):
    ok(run("finetune", "bird", *tiny_finetune_args(steps=30)))
    config = json.loads((llmcli_home / "models" / "bird" / "config.json").read_text())
    assert config["task"]["head"] == "classify"
    assert config["task"]["settings"] == {"labels": ["no", "yes"], "pooling": "last"}
    summary = json.loads((llmcli_home / "models" / "bird" / "summary.json").read_text())
    assert math.isfinite(summary["val_loss"]) and summary["val_loss"] < 0.35  # from about log(2)

    report = eval_json("bird", "bird")
    assert report["examples"] == 16
    assert set(report["metrics"]) == {"accuracy", "macro_f1"}
    assert all(0 <= v <= 100 for v in report["metrics"].values())
    assert report["metrics"]["accuracy"] >= 75  # "bird" in the text is easy to spot
    # accuracy is a multiple of 1/16
    assert (report["metrics"]["accuracy"] * 16 / 100) == pytest.approx(round(report["metrics"]["accuracy"] * 16 / 100))


def test_finetune_and_eval_color(toy_tasks, llmcli_home):
    ok(run("finetune", "color", *tiny_finetune_args(steps=20)))
    config = json.loads((llmcli_home / "models" / "color" / "config.json").read_text())
    assert config["task"]["head"] == "span"
    losses = step_losses(llmcli_home / "models" / "color")
    assert sum(losses[-5:]) / 5 < 0.8 * losses[0], losses
    report = eval_json("color", "color", "--limit", 8)
    assert report["examples"] == 8
    assert set(report["metrics"]) == {"exact_match", "token_f1"}
    assert all(0 <= v <= 100 for v in report["metrics"].values())
    assert report["metrics"]["token_f1"] >= report["metrics"]["exact_match"]


# -- resume ---------------------------------------------------------------------------------------


def test_resume_gives_the_same_model_as_one_run(toy_tasks, llmcli_home, stop_at, tmp_path):
    ok(run("finetune", "bird", "--name", "straight", *tiny_finetune_args(steps=8)))

    stop_at["at"] = 4
    interrupted = run("finetune", "bird", "--name", "halves", *tiny_finetune_args(steps=8))
    assert interrupted.exit_code == 130, interrupted.output
    assert "Interrupted at step 4" in interrupted.stderr
    assert "Resume with: llmcli finetune bird --name halves --resume" in interrupted.stderr
    halves = llmcli_home / "models" / "halves"
    assert json.loads((halves / "checkpoint" / "trainer_state.json").read_text())["step"] == 4
    assert not (halves / "summary.json").exists()

    stop_at["at"] = None
    ok(run("finetune", "bird", "--name", "halves", "--resume"))
    straight = llmcli_home / "models" / "straight"
    assert json.loads((halves / "summary.json").read_text())["steps"] == 8
    assert step_losses(halves) == step_losses(straight)
    assert (halves / "model.safetensors").read_bytes() == (straight / "model.safetensors").read_bytes()

    # resuming with other data is refused
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps(e) + "\n" for e in toy_module.bird_examples("other", 30, 5)))
    one_line_error(run("finetune", "bird", "--name", "halves", "--resume", "--data", other, "--steps", 9),
                          "the training examples differ from those halves was trained on")
    # ...and so is resuming a model of another task under its name
    one_line_error(run("finetune", "reverse", "--name", "halves", "--resume"),
                          "model 'halves' was not fine-tuned for task reverse")
    # a model fine-tuned for bird cannot be evaluated on reverse
    one_line_error(run("eval", "reverse", "-m", "halves"),
                          "halves was fine-tuned for task bird, not reverse")


def test_finetune_errors(toy_tasks, llmcli_home):
    one_line_error(run("finetune", "bird", "--prompt", "Q: {question}", *tiny_finetune_args(steps=1)),
                          "--prompt names {question}, not a field of task bird", "{text}, {label}")
    one_line_error(run("finetune", "birds", "--steps", 1), "unknown task 'birds'", "did you mean 'bird'?")
    one_line_error(run("finetune", "bird", "--data", "color-gen", "--steps", 1),
                          "dataset color-gen is for task color, not bird")
    assert not (llmcli_home / "models" / "bird").exists()


def test_finetune_with_a_malformed_prompt(toy_tasks, llmcli_home):
    result = run("finetune", "bird", "--prompt", "{text", *tiny_finetune_args(steps=1))
    one_line_error(result, "the prompt format '{text' is invalid")
    assert "ValueError" not in result.stderr


def test_finetune_with_a_prompt_and_a_file(toy_tasks, llmcli_home, tmp_path):
    data = tmp_path / "birds.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in toy_module.bird_examples("file", 40, 1)))
    ok(run("finetune", "bird", "--data", data, "--prompt", "Text: {text}", *tiny_finetune_args(steps=2)))
    run_dir = llmcli_home / "models" / "bird-birds"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["task"]["prompt"] == "Text: {text}"
    assert config["data"]["dataset"] == str(data.resolve())
    assert config["data"]["train_examples"] == 38 and config["data"]["validation_examples"] == 2
    report = eval_json("bird", "bird-birds", "--data", data)
    assert report["split"] == "all" and report["examples"] == 40


# -- data list / show ----------------------------------------------------------------------------------


def test_data_list_and_show(toy_tasks):
    entries = json.loads(ok(run("data", "list", "--json")).stdout)
    by_name = {e["name"]: e for e in entries if e["plugin"] == "toy"}  # beside the built-in tasks' datasets
    assert set(by_name) == {"reverse-gen", "bird-gen", "color-gen"}
    assert by_name["bird-gen"]["task"] == "bird" and by_name["bird-gen"]["kind"] == "generated"
    assert by_name["bird-gen"]["plugin"] == "toy" and by_name["bird-gen"]["sizes"] == SMALL_SIZES
    assert [e["name"] for e in json.loads(ok(run("data", "list", "color", "--json")).stdout)] == ["color-gen"]
    one_line_error(run("data", "list", "colour"), "unknown task 'colour'")

    shown = json.loads(ok(run("data", "show", "reverse-gen", "--json", "-n", 2)).stdout)
    assert shown["task"] == "reverse" and shown["split"] == "train" and shown["sizes"] == SMALL_SIZES
    assert shown["examples"] == toy_module.reverse_examples("train", 2, 0)
    first = shown["examples"][0]
    assert shown["rendered"][0] == {"prompt": f"{first['input']} =>", "references": [first["output"]]}
    assert shown["target_format"] == " {output}"

    bird = json.loads(ok(run("data", "show", "bird-gen", "--json", "--split", "test")).stdout)
    assert bird["split"] == "test" and len(bird["examples"]) == 3 and bird["target_format"] is None
    assert bird["rendered"][0]["references"] == [bird["examples"][0]["label"]]
    color = json.loads(ok(run("data", "show", "color-gen", "--json", "-n", 1)).stdout)
    assert color["rendered"][0]["references"] == [color["examples"][0]["answers"][0]["text"]]
    assert json.loads(ok(run("data", "show", "bird-gen", "--split", "dev", "--json")).stdout)["split"] == "validation"
    one_line_error(run("data", "show", "bird-gen", "--split", "holdout"), "has no 'holdout' split")
    one_line_error(run("data", "show", "nothing-gen"), "no dataset named 'nothing-gen'")


# -- heads, unit by unit ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer(small_corpus, tmp_path_factory):
    from llmcli.model.tokenizer import Tokenizer

    return Tokenizer.train(small_corpus, tmp_path_factory.mktemp("tok") / "tok.model", vocab_size=400)


def test_lm_loss_mask_covers_exactly_the_target(tokenizer):
    task = toy_module.Reverse()
    head = LanguageModelHead()
    examples = [{"input": "apple river", "output": "river apple"},
                {"input": "bird", "output": "bird tree house paper lamp"}]
    items = head.encode(task=task, examples=examples, tokenizer=tokenizer, context=64, settings={})
    targets = []
    for example, item in zip(examples, items):
        prompt = [tokenizer.bos_id] + tokenizer.encode(f"{example['input']} =>")
        target = tokenizer.encode(f" {example['output']}") + [tokenizer.eos_id]
        assert item == {"ids": prompt + target, "prompt": len(prompt)}
        targets.append(target)
    x, y, mask = head.collate(items, tokenizer.pad_id)
    longest = max(len(i["ids"]) for i in items)
    assert x.shape == y.shape == mask.shape == (2, longest - 1)
    assert torch.equal(x[:, 1:], y[:, :-1])
    for row, (item, target) in enumerate(zip(items, targets)):
        assert y[row][mask[row]].tolist() == target
        assert int(mask[row].sum()) == len(target)
        assert not mask[row, len(item["ids"]) - 1 :].any()  # padding is never a target
        assert (y[row, len(item["ids"]) - 1 :] == tokenizer.pad_id).all()

    custom = head.encode(task=task, examples=examples[:1], tokenizer=tokenizer, context=64, settings={},
                         prompt="Backwards: {input}")[0]
    assert custom["ids"][: custom["prompt"]] == [tokenizer.bos_id] + tokenizer.encode("Backwards: apple river")


def test_lm_long_prompt_is_cut_from_the_left(tokenizer):
    task = toy_module.Reverse()
    head = LanguageModelHead()
    example = {"input": " ".join(["the fox and the crow"] * 20), "output": "crow fox"}
    item = head.encode(task=task, examples=[example], tokenizer=tokenizer, context=16, settings={})[0]
    target = tokenizer.encode(" crow fox") + [tokenizer.eos_id]
    full_prompt = tokenizer.encode(task.render_prompt(example))
    assert len(item["ids"]) == 17  # context + 1: x and y are each 16 long
    assert item["ids"][0] == tokenizer.bos_id
    assert item["ids"][item["prompt"] :] == target
    assert item["ids"][1 : item["prompt"]] == full_prompt[len(full_prompt) - (item["prompt"] - 1) :]
    x, y, mask = head.collate([item], tokenizer.pad_id)
    assert x.shape[1] == 16 and y[0][mask[0]].tolist() == target


def test_classify_settings_collect_labels(tokenizer):
    head = ClassificationHead()
    task = toy_module.Bird()
    examples = [{"text": "a bird", "label": "yes"}, {"text": "a tree", "label": "no"}, {"text": "x", "label": "no"}]
    assert head.settings(task=task, examples=examples) == {"labels": ["no", "yes"], "pooling": "last"}
    with pytest.raises(UserError, match="only the label"):
        head.settings(task=task, examples=[e for e in examples if e["label"] == "no"])

    class Ordered(toy_module.Bird):
        labels = ("yes", "no", "maybe")

    assert head.settings(task=Ordered(), examples=examples[:1])["labels"] == ["yes", "no", "maybe"]

    settings = head.settings(task=task, examples=examples)
    items = head.encode(task=task, examples=examples, tokenizer=tokenizer, context=64, settings=settings)
    assert [i["label"] for i in items] == [1, 0, 0]
    assert items[0]["ids"] == [tokenizer.bos_id] + tokenizer.encode("a bird") + [tokenizer.sep_id]
    ids, last, labels = head.collate(items, tokenizer.pad_id)
    assert last.tolist() == [len(i["ids"]) - 1 for i in items]
    assert (ids[torch.arange(3), last] == tokenizer.sep_id).all()
    assert labels.tolist() == [1, 0, 0]
    with pytest.raises(UserError, match="label 'maybe' is not one of the model's labels"):
        head.encode(task=task, examples=[{"text": "?", "label": "maybe"}], tokenizer=tokenizer, context=64,
                    settings=settings)
    long = head.encode(task=task, examples=[{"text": "the fox " * 50, "label": "no"}], tokenizer=tokenizer,
                       context=12, settings=settings)[0]
    assert len(long["ids"]) == 12 and long["ids"][-1] == tokenizer.sep_id


def test_best_span():
    span = best_span(torch.tensor([0.0, 5.0, 0.0, 0.0]), torch.tensor([0.0, 0.0, 0.0, 7.0]))
    assert span == (12.0, 1, 3)
    # the best end comes before the best start: the result is still a span, first <= last
    score, first, last = best_span(torch.tensor([0.0, 0.0, 9.0, 0.0]), torch.tensor([0.0, 8.0, 0.0, 0.0]))
    assert first <= last and (first, last) == (2, 2)
    # an answer is at most MAX_ANSWER_TOKENS long
    n = MAX_ANSWER_TOKENS + 10
    starts, ends = torch.zeros(n), torch.zeros(n)
    starts[0], ends[n - 1], ends[5] = 10.0, 10.0, 1.0
    score, first, last = best_span(starts, ends)
    assert (first, last) == (0, 5) and last - first < MAX_ANSWER_TOKENS
    assert best_span(torch.zeros(0), torch.zeros(0)) is None


class PointingModel(torch.nn.Module):
    """Stands in for a model with a span head: its start and end scores peak at given
    positions of every window (a dict: window row -> (start, end))."""

    def __init__(self, context: int, peaks: dict[int, tuple[int, int]]):
        super().__init__()
        self.config = type("Config", (), {"context": context})()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.task_head = torch.nn.Identity()
        self.peaks = peaks

    def hidden_states(self, ids):
        out = torch.zeros(ids.shape[0], ids.shape[1], 2)
        for row, (start, end) in self.peaks.items():
            out[row, start, 0] = 10.0
            out[row, end, 1] = 10.0
        return out


def bundle(model, tokenizer, task, head, settings=None):
    return TaskModel(name="test", path=None, model=model, tokenizer=tokenizer, task=task, head=head,
                     settings=settings or {}, prompt=None)


def answer_tokens(spans, begin, end):
    return [i for i, (a, b) in enumerate(spans) if a < end and b > begin]


def test_span_head_maps_answers_to_exact_characters(tokenizer):
    head = SpanHead()
    task = toy_module.Color()
    context = "the café is vert clair and the lamp is blue."
    answer = "vert clair"
    begin = context.index(answer)
    example = {"context": context, "question": "what color is the café?", "answers": [{"text": answer, "start": begin}]}

    ids, offsets = tokenizer.encode_with_offsets(context)
    assert len(ids) == len(offsets)
    assert all(context[a:b] for a, b in offsets)  # every token covers some characters
    assert offsets[0][0] == 0 and offsets[-1][1] == len(context)
    assert all(a2 >= a1 and b2 >= b1 for (a1, b1), (a2, b2) in zip(offsets, offsets[1:]))

    windows = head.windows(task, example, tokenizer, 128, None)
    assert len(windows) == 1
    window_ids, first, spans = windows[0]
    assert window_ids[first:] == ids and spans == offsets
    inside = answer_tokens(spans, begin, begin + len(answer))
    item = head.encode(task=task, examples=[example], tokenizer=tokenizer, context=128, settings={})[0]
    assert (item["start"], item["end"]) == (first + inside[0], first + inside[-1])
    assert context[spans[inside[0]][0] : spans[inside[-1]][1]].strip() == answer

    model = PointingModel(128, {0: (item["start"], item["end"])})
    prediction = head.predict(bundle(model, tokenizer, task, head), [example])[0]
    assert prediction.text == answer
    assert prediction.details["start"] == begin
    assert context[prediction.details["start"] :].startswith(answer)

    # a wrong start offset falls back to the answer's first occurrence; an absent answer is skipped
    moved = dict(example, answers=[{"text": answer, "start": 3}])
    assert head.encode(task=task, examples=[moved], tokenizer=tokenizer, context=128, settings={}) == [item]
    absent = dict(example, answers=[{"text": "purple", "start": 0}])
    assert head.encode(task=task, examples=[absent, dict(example, answers=[])], tokenizer=tokenizer, context=128,
                       settings={}) == []


def test_span_head_reads_long_contexts_in_windows(tokenizer):
    head = SpanHead()
    task = toy_module.Color()
    filler = " ".join(f"the {w} is red." for w in toy_module.WORDS)
    context = f"{filler} {filler} the bird is yellow and small. {filler}"
    answer = "yellow"
    example = {"context": context, "question": "what color is the bird?",
               "answers": [{"text": answer, "start": context.index(answer)}]}
    windows = head.windows(task, example, tokenizer, 48, None)
    assert len(windows) > 3
    ids, offsets = tokenizer.encode_with_offsets(context)
    width = len(windows[0][2])
    assert [w[2] for w in windows[:2]] == [offsets[:width], offsets[width * 3 // 4 : width * 3 // 4 + width]]
    assert windows[-1][2][-1] == offsets[-1]  # the last window reaches the end
    items = head.encode(task=task, examples=[example], tokenizer=tokenizer, context=48, settings={})
    assert len(items) == len(windows)
    hits = [i for i in items if (i["start"], i["end"]) != (NO_ANSWER, NO_ANSWER)]
    assert 1 <= len(hits) < len(items)
    for item, (_, first, spans) in zip(items, windows):
        if item in hits:
            found = context[spans[item["start"] - first][0] : spans[item["end"] - first][1]]
            assert found.strip() == answer

    row = items.index(hits[-1])
    model = PointingModel(48, {row: (hits[-1]["start"], hits[-1]["end"])})
    prediction = head.predict(bundle(model, tokenizer, task, head), [example])[0]
    assert prediction.text == answer and prediction.details["start"] == context.index(answer)
