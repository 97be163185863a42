"""The story task: its generated stories, its loaders, its metrics, and finetune/eval/run
end to end on a nano model (a few steps, so the file stays fast)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from cli_helpers import ok, run, tiny_finetune_args

from llmcli.errors import UserError
from llmcli.tasks import Prediction
from llmcli_story import register_datasets, register_metrics, register_tasks
from llmcli_story.generator import SIZES, generate, split_of
from llmcli_story.loaders import MAX_CHARS, read_stories, split_story, story_texts
from llmcli_story.metrics import bits_per_byte, distinct, repetition_rate
from llmcli_story.task import StoryTask
from llmcli_story.world import BOYS, GIRLS

SHARED = Path(__file__).resolve().parents[1] / "../shared/data/lm"


# -- the generated stories ---------------------------------------------------------------------


def test_stories_are_repeatable_and_depend_on_the_seed():
    assert generate("test", 30, 0) == generate("test", 30, 0)
    assert generate("test", 30, 0) != generate("test", 30, 1)


def test_held_out_openings_are_never_trained_on():
    train = {e["opening"] for e in generate("train", SIZES["train"], 0)}
    for split in ("validation", "test"):
        held_out = generate(split, SIZES[split], 0)
        assert len(held_out) == SIZES[split]
        assert all(split_of(e["opening"]) == split for e in held_out)
        assert not train & {e["opening"] for e in held_out}


def test_stories_vary_and_agree_with_their_opening():
    stories = generate("train", 2000, 0)
    assert len({e["rest"] for e in stories}) == len(stories)
    assert len({e["opening"] for e in stories}) > 0.95 * len(stories)
    vocabulary = {w for e in stories for w in re.findall(r"[a-z]+", (e["opening"] + e["rest"]).lower())}
    assert len(vocabulary) > 400
    for e in stories:
        text = e["opening"] + " " + e["rest"]
        assert "{" not in text and "}" not in text
        name = next(w for w in re.findall(r"[A-Z][a-z]+", e["opening"]) if w in GIRLS + BOYS)
        assert name in e["rest"]  # the hero of the opening goes on in the rest
        # pronouns agree with the hero: a girl's story never calls its hero "he" right after the name
        wrong = "he" if name in GIRLS else "she"
        assert not re.search(rf"\b{name}\b[^.]*\bso happy that {wrong}\b", text)
        words = len(text.split())
        assert 50 <= words <= 260


# -- loaders -------------------------------------------------------------------------------------


TALES = """Once upon a time, there was a small crab named Lob. He lived under a rock.

One day, Lob found a red button. He took it home.

Once there was a goose called Ada. Ada liked to sing. She sang every morning.

Ada sang so loud that the cows danced.

Long ago, a snail raced a leaf down the hill. The leaf won, but the snail did not mind.
"""


def test_blank_line_layout_groups_paragraphs_into_stories(tmp_path):
    path = tmp_path / "tales.txt"
    path.write_text(TALES, encoding="utf-8")
    stories = read_stories(path)
    assert [s["opening"] for s in stories] == [
        "Once upon a time, there was a small crab named Lob.", "Once there was a goose called Ada.",
        "Long ago, a snail raced a leaf down the hill."]
    assert stories[0]["rest"] == "He lived under a rock.\nOne day, Lob found a red button. He took it home."


def test_end_of_text_markers_and_single_line_breaks_separate_stories():
    marked = "A fox ran. It was fast.<|endoftext|>\nA hen sat. She was calm.\n\nThe end."
    assert [s for s in story_texts(marked)] == ["A fox ran. It was fast.", "A hen sat. She was calm.\n\nThe end."]
    # one paragraph per line, paragraphs apart by blank lines, stories by single line breaks
    paragraph = "Once upon a time there was a cat who liked to nap in the sun all day long, every day. " * 2
    layout = f"{paragraph}\n\nIt slept.\n{paragraph}\n\nIt woke.\n{paragraph}"
    assert len(story_texts(layout)) == 3


def test_any_text_is_cut_into_pieces(tmp_path):
    path = tmp_path / "notes.txt.gz"
    sentence = "The river runs past the mill and the mill turns slowly in the morning light. "
    path.write_bytes(gzip.compress((sentence * 100).encode()))  # one long block, no blank lines
    stories = read_stories(path)
    assert len(stories) > 1
    assert all(len(s["opening"]) + len(s["rest"]) <= MAX_CHARS for s in stories)
    short = tmp_path / "poem.txt"
    short.write_text("Roses are red.\n\nViolets are blue.\n\n" * 20, encoding="utf-8")
    assert all(len(s["opening"] + s["rest"]) >= 290 for s in read_stories(short))  # short blocks joined


def test_split_story_takes_the_first_sentence():
    assert split_story('Tom said, "Hi!" Then he left. Bye.') == {"opening": 'Tom said, "Hi!"',
                                                                 "rest": "Then he left. Bye."}
    assert split_story("Just one sentence.") is None
    long = "word " * 100
    assert len(split_story(long + "end.")["opening"]) <= 300


@pytest.mark.parametrize("content, fragments", [
    (b"", ("empty file",)),
    (b"\n\n   \n", ("empty file",)),
    (b"Once upon a time.\nThere was a cat.\n\xff\xfe bad\n", (":3:", "not UTF-8")),
    (b"Just one sentence, and nothing after it.\n", ("no story of more than one sentence",)),
])
def test_bad_text_files_are_one_clear_error(tmp_path, content, fragments):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(UserError) as caught:
        StoryTask().read_file(path)
    assert str(path) in str(caught.value)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_records_and_folders(tmp_path):
    task = StoryTask()
    records = tmp_path / "stories.jsonl"
    records.write_text(json.dumps({"opening": "A cat sat.", "rest": "It purred."}) + "\n"
                       + json.dumps({"text": "A dog ran. It barked."}) + "\n", encoding="utf-8")
    assert task.read_file(records) == [{"opening": "A cat sat.", "rest": "It purred."},
                                       {"opening": "A dog ran.", "rest": "It barked."}]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"title": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.jsonl:1: missing field"):
        task.read_file(bad)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "train.txt").write_text(TALES, encoding="utf-8")
    (folder / "val.jsonl").write_text(records.read_text(), encoding="utf-8")
    assert {k: v.name for k, v in task.splits_in(folder).items()} == {"train": "train.txt", "validation": "val.jsonl"}


@pytest.mark.skipif(not (SHARED / "tinystories_val_subset.txt").exists(), reason="../shared data absent")
def test_tinystories_layouts():
    cased = read_stories(SHARED / "tinystories_val_subset.txt")
    assert 700 < len(cased) < 1000  # about 860 stories, not its ~4,300 paragraphs
    assert sum(s["opening"].startswith("Once upon a time") for s in cased) > 0.7 * len(cased)
    lowered = read_stories(SHARED / "tinystories_train_subset_lowercased.txt")
    assert 5000 < len(lowered) < 6000  # stories apart by single line breaks there


# -- metrics ---------------------------------------------------------------------------------------


def test_distinct_and_repetition_on_hand_made_texts():
    texts = ["the cat sat on the mat", "the cat ran"]
    refs = [["a b c"], ["d e f"]]
    figures = distinct(texts, refs)
    assert figures["distinct_1"] == pytest.approx(100 * 6 / 9)  # the cat sat on mat ran, of 9 words
    assert figures["distinct_2"] == pytest.approx(100 * 6 / 7)  # "the cat" twice among 7 pairs
    looping = ["we went up and we went up and we went up"]
    # 4-grams: 8, of which 4 repeat one earlier in the same text
    assert repetition_rate(looping, [["x"]])["repetition_rate"] == pytest.approx(50.0)
    # a 4-gram shared by two texts is no repetition
    assert repetition_rate(["a b c d", "a b c d"], [["x"], ["y"]])["repetition_rate"] == 0.0


def test_bits_per_byte_sums_bits_and_bytes():
    predictions = [Prediction("x", {"target_bits": 30.0, "target_bytes": 10}),
                   Prediction("y", {"target_bits": 10.0, "target_bytes": 30})]
    assert bits_per_byte(predictions, [["a"], ["b"]]) == {"bits_per_byte": pytest.approx(1.0)}
    with pytest.raises(UserError, match="bits_per_byte needs"):
        bits_per_byte([Prediction("x")], [["a"]])
    # with the tokens counted, the per-token perplexity beside: exp(nats per token)
    counted = [Prediction("x", {"target_bits": 30.0, "target_bytes": 10, "target_tokens": 15}),
               Prediction("y", {"target_bits": 10.0, "target_bytes": 30, "target_tokens": 5})]
    figures = bits_per_byte(counted, [["a"], ["b"]])
    assert figures["perplexity"] == pytest.approx(2.0 ** (40.0 / 20))


def test_the_hooks_register_what_the_task_names():
    found = {}
    for hook in (register_tasks, register_datasets, register_metrics):
        hook(lambda item: found.setdefault(item.name, item))
    task = found["story"]
    assert task.default_dataset in found and all(m in found for m in task.metrics)
    assert found["bits_per_byte"].takes_predictions and not found["bits_per_byte"].higher_is_better


# -- end to end --------------------------------------------------------------------------------


@pytest.fixture
def story_folder(tmp_path):
    """A small folder of generated stories: plain text apart by <|endoftext|>, and JSONL."""
    folder = tmp_path / "tales"
    folder.mkdir()
    for split, count in (("train", 300), ("validation", 8)):
        text = "<|endoftext|>\n".join(e["opening"] + " " + e["rest"] for e in generate(split, count, 0))
        (folder / f"{split}.txt").write_text(text + "\n", encoding="utf-8")
    lines = [json.dumps(e) for e in generate("test", 6, 0)]
    (folder / "test.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_finetune_eval_and_run(story_folder, llmcli_home):
    ok(run("finetune", "story", "--data", story_folder, "--name", "tiny-story", *tiny_finetune_args(steps=6)))
    report = json.loads(ok(run("eval", "story", "-m", "tiny-story", "--data", story_folder, "--json")).stdout)
    figures = report["metrics"]
    assert report["examples"] == 6
    assert 0 < figures["bits_per_byte"] < 9
    assert 0 < figures["distinct_2"] <= 100 and 0 <= figures["repetition_rate"] <= 100
    again = json.loads(ok(run("eval", "story", "-m", "tiny-story", "--data", story_folder, "--json")).stdout)
    assert again["metrics"] == figures  # sampled, but seeded by each opening
    written = ok(run("run", "story", "-m", "tiny-story", "--max-new-tokens", 12, "Once upon a time, a fox."))
    assert written.stdout.strip()


def test_bits_per_byte_agrees_with_the_training_loss(story_folder, llmcli_home):
    """The task's bits for one story equal the lm head's loss on it, times its tokens."""
    import math

    import torch

    from llmcli.scoring import load_task_model

    ok(run("finetune", "story", "--data", story_folder, "--name", "tiny-story", *tiny_finetune_args(steps=2)))
    task = StoryTask()
    tm = load_task_model("tiny-story", task, precision="fp32")
    example = task.read_file(story_folder / "test.jsonl")[0]
    [(bits, nbytes, tokens)] = task.reference_bits(tm, [example])
    [item] = tm.head.encode(task=task, examples=[example], tokenizer=tm.tokenizer, context=tm.model.config.context,
                            settings=tm.settings)
    x, y, mask = tm.head.collate([item], tm.tokenizer.pad_id)
    with torch.no_grad():
        loss = tm.head.loss(tm.model, (x, y, mask)).item()
    assert bits == pytest.approx(loss * mask.sum().item() / math.log(2), rel=1e-4)
    assert tokens == mask.sum().item()
    assert nbytes == len((" " + example["rest"]).encode("utf-8"))
