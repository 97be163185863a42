"""What a new user hit (issue 17): one test per fault, each failing before its fix, and
the rough edges around them."""

from __future__ import annotations

import json
import shutil

import pytest
from cli_helpers import TINY_FINETUNE_ARGS, ok, one_line_error, run, tiny_finetune_args


@pytest.fixture(scope="module")
def toy_home(tmp_path_factory):
    """A reverse model (lm head, trained long enough to write words) and a bird model
    (classify head), fine-tuned once for the module in a data directory of its own."""
    import toy_tasks

    from llmcli import plugins

    home = tmp_path_factory.mktemp("faults-home")
    plugins.reset()
    plugins.get_plugins().add(toy_tasks, plugins.PluginInfo("toy", "toy-tasks", "1.0", builtin=False))
    env = {"LLMCLI_HOME": str(home)}
    ok(run("finetune", "reverse", *tiny_finetune_args(steps=40, batch_size=64, precision=None, device=None), env=env))
    ok(run("finetune", "bird", *TINY_FINETUNE_ARGS, env=env))
    plugins.reset()
    return home / "models"


@pytest.fixture
def models(toy_tasks, toy_home, llmcli_home):
    """This test's data directory, holding copies of the module's models."""
    shutil.copytree(toy_home, llmcli_home / "models")
    return llmcli_home / "models"


def copy_model(models, source: str, name: str, created: str, **options) -> None:
    shutil.copytree(models / source, models / name)
    path = models / name / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config["created"] = created
    config["task"]["options"] = options
    path.write_text(json.dumps(config), encoding="utf-8")


# 1. run's choice of model


def test_run_names_the_model_it_chose_preferring_the_one_named_after_the_task(models):
    copy_model(models, "reverse", "reverse-newer", "2999-01-01T00:00:00", words_field="words")
    result = ok(run("run", "reverse", "apple tree"))
    assert "Using model reverse:" in result.stderr and "the one named after the task" in result.stderr
    assert "--words-field input" in result.stderr  # the task options it was fine-tuned with
    chosen = ok(run("run", "reverse", "--words-field", "words", "apple tree"))  # the options given choose
    assert "Using model reverse-newer:" in chosen.stderr and "--words-field words" in chosen.stderr


def test_run_without_the_model_named_after_the_task_takes_the_newest(models):
    copy_model(models, "reverse", "reverse-b", "2999-01-01T00:00:00")
    copy_model(models, "reverse", "reverse-a", "2998-01-01T00:00:00")
    shutil.rmtree(models / "reverse")
    result = ok(run("run", "reverse", "apple tree"))
    assert "Using model reverse-b:" in result.stderr and "newest of 2" in result.stderr


# 2. generate refuses a model that writes no text


def test_generate_refuses_a_classifier(models):
    one_line_error(run("generate", "-m", "bird", "hello"), "bird", "writes no text", "llmcli run bird -m bird")


# 3. valid UTF-8 only


def test_generated_text_is_valid_utf8_without_nul(trained_model):
    for seed in (1, 2, 3):
        result = ok(run("generate", "-m", "tiny", "The", "-n", "300", "-t", "2.0", "--seed", seed, "--no-echo"))
        assert "\ufffd" not in result.stdout and "\x00" not in result.stdout, result.stdout


class Constant:
    """A model whose next-token scores are always the same, ranked as `ranking` (best first)."""

    def __init__(self, ranking, vocab):
        import torch
        from types import SimpleNamespace

        self.config = SimpleNamespace(vocab_size=vocab, context=64)
        self.logits = torch.full((vocab,), -10.0)
        for rank, token in enumerate(ranking):
            self.logits[token] = 10.0 - rank
        self.training = False

    def new_cache(self, batch=1):
        from types import SimpleNamespace

        return SimpleNamespace(length=0)

    def eval(self):
        return self

    def train(self, mode=True):
        return self

    def parameters(self):
        return iter(())

    def __call__(self, idx, cache=None):
        return self.logits.expand(idx.shape[0], idx.shape[1], -1), None


def test_decoding_skips_byte_tokens_that_make_no_character(trained_model):
    from llmcli.model.generate import GenerationConfig, generate_text
    from llmcli.model.tokenizer import Tokenizer

    tok = Tokenizer.load(trained_model / "tokenizer.model")
    byte = tok.byte_ids()
    letter = tok.encode("x")[0]
    # a continuation byte with nothing before it, a NUL, then a letter: only the letter is text
    model = Constant([byte[0x80], byte[0x00], letter], tok.vocab_size)
    text = generate_text(model, tok, "a", GenerationConfig(temperature=0, max_new_tokens=5))
    assert text == "xxxxx"
    # a character begun (E4 B8 ...) and cut off by the budget is not written half
    model = Constant([byte[0xE4], byte[0xB8], byte[0xAD]], tok.vocab_size)
    assert generate_text(model, tok, "a", GenerationConfig(temperature=0, max_new_tokens=2)) == ""
    assert generate_text(model, tok, "a", GenerationConfig(temperature=0, max_new_tokens=3)) == "\u4e38"  # E4 B8 B8


def test_unfinished_tail_and_following_bytes():
    from llmcli.model.utf8_guard import following, unfinished_tail

    assert following(0x41) == [] and following(0x80) is None and following(0xC0) is None
    assert following(0xE0) == [(0xA0, 0xBF), (0x80, 0xBF)]
    assert unfinished_tail([None, 0xE4, 0xB8]) == 2
    assert unfinished_tail([0xE4, 0xB8, 0xAD]) == 0
    assert unfinished_tail([None, 0x41]) == 0 and unfinished_tail([0xF0]) == 1


# 4. resume past the budget


def test_resume_past_its_budget_says_so_and_keeps_the_config(trained_model, small_corpus):
    before = (trained_model / "config.json").read_text(encoding="utf-8")
    result = run("train", small_corpus, "--name", "tiny", "--resume", "--steps", "6")
    one_line_error(result, "already at step 12", "--steps 6", "larger --steps")
    assert (trained_model / "config.json").read_text(encoding="utf-8") == before


def test_a_resumed_run_says_where_it_resumes(trained_model, small_corpus):
    result = ok(run("train", small_corpus, "--name", "tiny", "--resume", "--steps", "13", "--no-sample"))
    assert "resume: from step 12" in result.stderr


# 5. piped lines stay aligned; 6. empty input is an error


def test_piped_blank_line_keeps_outputs_aligned(models):
    result = run("run", "reverse", "-m", "reverse", input="bird tree\n\nlamp cloud\n")
    assert result.exit_code == 1
    lines = result.stdout.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == "", result.stdout  # 3 outputs, then the end
    assert "line 2: the input is empty" in result.stderr


def test_empty_input_is_one_clear_error(models, tmp_path):
    one_line_error(run("run", "reverse", "-m", "reverse", ""), "the input is empty")
    one_line_error(run("run", "reverse", "-m", "reverse", "  "), "the input is empty")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    one_line_error(run("run", "reverse", "-m", "reverse", "--input", empty), f"{empty}: empty file")


# 7. run --input names the file and line


def test_jsonl_record_without_the_prompts_field_names_its_line(models, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"input": "apple tree"}\n{"words": "apple tree"}\n', encoding="utf-8")
    one_line_error(run("run", "reverse", "-m", "reverse", "--input", source), f"{source}:2", "{input}")


# 8. generate and run agree on a task model


def test_generate_agrees_with_run(models):
    """Greedy, and sampled with one seed: the same text (the briefly trained model often
    writes nothing greedily; sampled, it writes words)."""
    outputs = []
    for run_flags, generate_flags in ((["--beams", "1"], ["--greedy"]),
                                      (["--temperature", "1", "--seed", "3"], ["-t", "1", "--seed", "3"]),
                                      (["--temperature", "1", "--seed", "4"], ["-t", "1", "--seed", "4"])):
        by_run = ok(run("run", "reverse", "-m", "reverse", *run_flags, "apple river stone")).stdout
        by_generate = ok(run("generate", "-m", "reverse", "apple river stone =>", *generate_flags, "--no-echo",
                             "-n", "128"))
        assert by_generate.stdout.strip() == by_run.strip()
        assert "{input} =>" in by_generate.stderr  # the prompt format is named
        outputs.append(by_run.strip())
    assert any(outputs), outputs


# 9. split names


def test_val_and_dev_name_the_validation_split(toy_tasks, tmp_path):
    folder = tmp_path / "words"
    folder.mkdir()
    (folder / "train.jsonl").write_text('{"input": "a b"}\n', encoding="utf-8")
    (folder / "validation.jsonl").write_text('{"input": "c d"}\n', encoding="utf-8")
    for name in ("val", "dev", "validation"):
        result = ok(run("data", "show", folder, "--task", "reverse", "--split", name, "--json"))
        assert json.loads(result.stdout)["split"] == "validation"
    from llmcli.datasets import FileDataset
    from llmcli.datasets.resolve import evaluation_split
    from llmcli.registry import get_task

    split, examples = evaluation_split(get_task("reverse"), FileDataset("words", "reverse", folder), "dev")
    assert split == "validation" and examples[0]["input"] == "c d"


# rough edges


def test_named_split_files_are_found(tmp_path):
    from llmcli.datasets import split_files

    (tmp_path / "dialogsum.dev.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "dialogsum.test.jsonl").write_text("{}\n", encoding="utf-8")
    assert split_files(tmp_path) == {"validation": tmp_path / "dialogsum.dev.jsonl",
                                     "test": tmp_path / "dialogsum.test.jsonl"}


def test_a_misspelt_command_gets_a_suggestion():
    result = run("trian", "x.txt")
    assert result.exit_code == 2 and "did you mean 'train'" in result.output


def test_a_misspelt_dataset_gets_a_suggestion(toy_tasks):
    one_line_error(run("data", "show", "revers-gen"), "did you mean 'reverse-gen'")


def test_uninstall_takes_pip_s_yes(monkeypatch):
    import llmcli.cli.plugins as plugin_commands

    calls = []
    monkeypatch.setattr(plugin_commands, "pip", lambda *args: calls.append(args))
    ok(run("uninstall", "-y", "some-plugin"))
    assert calls == [("uninstall", "-y", "some-plugin")]


def test_info_and_models_show_a_fine_tuned_models_task(models):
    shown = ok(run("info", "reverse")).stdout
    assert "reverse (head lm" in shown and "--words-field input" in shown
    listed = json.loads(ok(run("models", "--json")).stdout)
    assert {e["name"]: e["options"] for e in listed}["reverse"] == {}


def test_plain_progress_never_prints_a_step_twice(monkeypatch):
    from llmcli.cli.progress import TrainingDisplay

    display = TrainingDisplay("t")
    display.interactive = False
    printed = []
    monkeypatch.setattr(display.console, "print", lambda line, **kw: printed.append(line))
    monkeypatch.setattr(display, "PLAIN_EVERY_S", 0.0)
    display({"event": "step", "step": 5, "loss": 1.0})
    display({"event": "eval", "step": 5, "val_loss": 2.0})
    display({"event": "step", "step": 5, "loss": 1.0})
    display({"event": "step", "step": 6, "loss": 0.9})
    assert [line.split(" |")[0].split(":")[0] for line in printed] == ["step 5", "validation at step 5", "step 6"]
    assert "val loss" not in printed[2]


def test_generate_json_and_timing(trained_model):
    result = ok(run("generate", "-m", "tiny", "The", "-n", "20", "--seed", "1", "--json"))
    data = json.loads(result.stdout)
    assert data["model"] == "tiny" and data["prompt"] == "The" and 0 < data["tokens"] <= 20
    assert data["prompt_tokens"] >= 1 and data["seconds"] > 0
    plain = ok(run("generate", "-m", "tiny", "The", "-n", "20", "--seed", "1", "--no-echo", "--stats"))
    assert plain.stdout == data["text"] + "\n"
    assert f"{data['tokens']} tokens in" in plain.stderr and "tokens/s" in plain.stderr


def test_train_prints_its_summary_as_json(small_corpus):
    from cli_helpers import TINY_TRAIN_ARGS

    data = json.loads(ok(run("train", small_corpus, "--name", "j", *TINY_TRAIN_ARGS, "--json")).stdout)
    assert data["name"] == "j" and data["steps"] == 12 and data["path"].endswith("j") and "val_bpb" in data


def test_rm_and_mv_manage_stored_models(trained_model, llmcli_home):
    ok(run("mv", "tiny", "small-one"))
    moved = llmcli_home / "models" / "small-one"
    assert not trained_model.exists() and json.loads((moved / "config.json").read_text())["name"] == "small-one"
    one_line_error(run("mv", "small-one", "bad/name"), "invalid run name")
    one_line_error(run("rm", "small-one"), "add --yes")  # input is not a terminal
    assert moved.exists()
    one_line_error(run("rm", "small-one", "nothing-here", "--yes"), "no model named 'nothing-here'")
    assert moved.exists()  # every name is checked before anything is removed
    ok(run("rm", "small-one", "--yes"))
    assert not moved.exists()


def test_eval_json_and_output_hold_each_prediction(models, tmp_path):
    out = tmp_path / "scored.jsonl"
    report = json.loads(ok(run("eval", "reverse", "-m", "reverse", "--limit", "3", "--json", "--output", out)).stdout)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(report["predictions"]) == len(lines) == 3
    assert [p["prediction"] for p in report["predictions"]] == [line["prediction"] for line in lines]
    assert lines[0]["references"] == [lines[0]["output"]]


def test_over_fitting_is_named_after_training(tmp_path):
    from types import SimpleNamespace

    from llmcli.cli.training_run import overfitting
    from llmcli.training.run_config import RunSummary

    (tmp_path / "metrics.jsonl").write_text(
        '{"event": "eval", "step": 100, "val_loss": 0.6}\n{"event": "eval", "step": 900, "val_loss": 0.73}\n')
    summary = RunSummary(steps=900, tokens=2_480_000, train_seconds=1, command_seconds=1, finished="",
                         figures={"train_tokens_per_epoch": 10_000, "val_loss": 0.73})
    said = overfitting(SimpleNamespace(summary=summary, run_dir=tmp_path))
    assert "seen about 248 times" in said and "rose from 0.600 at step 100 to 0.730 at step 900" in said
    summary.figures = {"train_tokens_per_epoch": 1_000_000, "val_loss": 0.6}
    (tmp_path / "metrics.jsonl").write_text(
        '{"event": "eval", "step": 100, "val_loss": 0.9}\n{"event": "eval", "step": 900, "val_loss": 0.62}\n')
    assert overfitting(SimpleNamespace(summary=summary, run_dir=tmp_path)) is None
