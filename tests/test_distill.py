"""`llmcli distill`: a student learns a task from a teacher, both tiny models llmcli trained
on the toy tasks (one per head). Distillation lowers the KL to the teacher (against the
student untrained and trained with ratio 0), a student from a preset takes the teacher's
tokenizer, an existing student with another one is one line, the teacher's weights stay
out of the student's directory, and resume continues exactly with the same teacher."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from cli_helpers import ok, one_line_error, run, tiny_finetune_args
import toy_tasks as toy_module

from llmcli.training.distillation import kl_divergence

pytestmark = pytest.mark.usefixtures("one_thread")

SIZES = {"train": 64, "validation": 16, "test": 8}
QUICK = ["--steps", 6, "--batch-size", 8, "--precision", "fp32", "--device", "cpu"]


@pytest.fixture(autouse=True)
def small_toy_data(monkeypatch):
    monkeypatch.setattr(toy_module, "SIZES", SIZES)
    monkeypatch.setenv("LLMCLI_LOAD_PLUGINS", "")


@pytest.fixture(scope="module")
def teachers(tmp_path_factory):
    """Teachers fine-tuned from scratch (nano) for each toy task, made once per module."""
    import toy_tasks as module

    from llmcli import plugins

    home = tmp_path_factory.mktemp("teachers")
    sizes, module.SIZES = module.SIZES, SIZES
    plugins.reset()
    plugins.get_plugins().add(module, plugins.PluginInfo("toy", "toy-tasks", "1.0", builtin=False))
    try:
        for task in ("bird", "reverse", "color"):
            ok(run("finetune", task, "--name", f"{task}-teacher", *tiny_finetune_args(steps=30),
                   env={"LLMCLI_HOME": str(home), "LLMCLI_LOAD_PLUGINS": ""}))
    finally:
        module.SIZES = sizes
        plugins.reset()
    return home / "models"


@pytest.fixture
def models(teachers, toy_tasks, llmcli_home):
    """The teachers, in this test's data directory."""
    for teacher in teachers.iterdir():
        shutil.copytree(teacher, llmcli_home / "models" / teacher.name)
    return llmcli_home / "models"


def distill(task, *args, name="student"):
    return run("distill", task, "--teacher", f"{task}-teacher", "--name", name, *QUICK, *args)


def summary(run_dir) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def step_losses(run_dir) -> list[float]:
    events = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [e["loss"] for e in events if e["event"] == "step"]


def test_kl_is_zero_for_the_same_distributions_and_counts_masked_rows_only():
    logits = torch.randn(2, 3, 5)
    assert kl_divergence(logits, logits, None, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    other = logits.clone()
    other[1, 2] += torch.randn(5) * 4  # a row outside the mask differs
    mask = torch.ones(2, 3, dtype=torch.bool)
    mask[1, 2] = False
    assert kl_divergence(other, logits, mask, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    assert kl_divergence(other, logits, None, 2.0).item() > 0


@pytest.mark.parametrize("task", ["bird", "reverse", "color"])  # the classify, lm and span heads
def test_every_head_distils_end_to_end(task, models):
    result = ok(distill(task, "--student", "nano", "--json"))
    out = json.loads(result.stdout)
    student, teacher = models / "student", models / f"{task}-teacher"
    comparison = out["comparison"]
    assert comparison["examples"] == SIZES["validation"]
    assert comparison["teacher"]["params"] > 0 and comparison["student"]["tokens_per_s"] > 0
    assert set(comparison["student"]["metrics"]) == set(comparison["teacher"]["metrics"])
    assert "val_kl" in out and "KL to the teacher" in result.stderr and "student/teacher" in result.stderr
    config = json.loads((student / "config.json").read_text())
    assert config["distilled_from"] == {"teacher": str(teacher.resolve()), "name": f"{task}-teacher",
                                        "sha256": config["distilled_from"]["sha256"], "ratio": 0.5,
                                        "temperature": 2.0, "teacher_outputs": False}
    assert config["preset"] == "distilled:nano"
    # a student from a preset takes the teacher's tokenizer, its vocabulary and its head settings
    assert (student / "tokenizer.model").read_bytes() == (teacher / "tokenizer.model").read_bytes()
    teacher_config = json.loads((teacher / "config.json").read_text())
    assert config["model"]["vocab_size"] == teacher_config["model"]["vocab_size"]
    assert config["task"]["settings"] == teacher_config["task"]["settings"]
    info = " ".join(word for word in ok(run("info", "student")).stdout.split() if word != "│")  # cells unwrapped
    assert "distilled from" in info and f"{task}-teacher (weights' sha256" in info and "kd-ratio 0.5" in info
    report = json.loads(ok(run("eval", task, "-m", "student", "--limit", 4, "--json")).stdout)
    assert report["examples"] == 4


def test_the_teachers_weights_stay_out_of_the_students_directory(models):
    from safetensors.torch import load_file

    from llmcli.files import sha256_of

    ok(distill("bird", "--student", "2x64"))
    student, teacher = models / "student", models / "bird-teacher"
    teacher_sha = sha256_of(teacher / "model.safetensors")
    params = json.loads((student / "config.json").read_text())["params"]
    for path in student.rglob("*"):
        assert not path.is_file() or sha256_of(path) != teacher_sha, path
        if path.name == "model.safetensors":
            assert sum(t.numel() for t in load_file(path).values()) == params, path


def kl_to_teacher(models, student: str, teacher: str = "bird-teacher") -> float:
    """The mean KL (at T=2) from the teacher to the student over bird's validation examples."""
    from llmcli import registry
    from llmcli.datasets.resolve import resolve_dataset, training_splits
    from llmcli.model.loading import load_model
    from llmcli.training.distillation import DistillationLoss

    task = registry.get().tasks.entry("bird").item.configured({})
    head = registry.get_head(task.head)
    taught, loaded = load_model(models / teacher, find_head=registry.get_head), load_model(
        models / student, find_head=registry.get_head)
    _, validation = training_splits(task, resolve_dataset(task, None))
    items = head.encode(task=task, examples=validation, tokenizer=loaded.tokenizer,
                        context=loaded.model.config.context, settings=loaded.config.task.settings)
    with torch.no_grad():
        batch = head.collate(items, loaded.tokenizer.pad_id)
        return DistillationLoss(head, taught.model, 1.0, 2.0).kl(loaded.model, batch).item()


def test_distillation_lowers_the_kl_to_the_teacher(models):
    """A student trained on the teacher alone (ratio 1) ends nearer the teacher than the
    same student before training, and than one trained on the data alone (ratio 0)."""
    steps = ["--steps", 30, "--lr", "1e-2"]
    ok(distill("bird", "--student", "nano", "--kd-ratio", 1, *steps, name="soft"))
    ok(distill("bird", "--student", "nano", "--kd-ratio", 0, *steps, name="hard"))
    ok(distill("bird", "--student", "nano", "--steps", 1, "--lr", "1e-12", name="untrained"))
    soft, hard, untrained = (kl_to_teacher(models, n) for n in ("soft", "hard", "untrained"))
    assert soft < 0.5 * untrained, (soft, hard, untrained)
    assert soft < hard, (soft, hard, untrained)
    assert summary(models / "soft")["val_kl"] == pytest.approx(soft, abs=1e-5)  # what the run reports (5 decimals)
    assert "val_kl" not in summary(models / "hard")  # without a teacher in the loss, it never ran


def test_an_existing_student_needs_the_teachers_tokenizer(models, trained_model):
    one_line_error(distill("bird", "--student", "tiny"), "the student tiny has another tokenizer",
                   "give --student a preset")
    assert not (models / "student").exists()
    ok(distill("reverse", "--student", "reverse-teacher"))  # the same tokenizer: it starts from those weights
    config = json.loads((models / "student" / "config.json").read_text())
    assert config["origin"]["start"] == "base" and config["preset"] == "finetuned:reverse-teacher"


def test_a_language_model_teaches_a_generation_task(models, trained_model):
    """A plain language model (as an instruct base would) teaches the lm head's task."""
    ok(run("distill", "reverse", "--teacher", "tiny", "--student", "nano", "--name", "student", *QUICK))
    config = json.loads((models / "student" / "config.json").read_text())
    assert config["distilled_from"]["name"] == "tiny" and config["task"]["name"] == "reverse"
    assert (models / "student" / "tokenizer.model").read_bytes() == (trained_model / "tokenizer.model").read_bytes()


def test_teacher_outputs_become_the_targets(models):
    from llmcli import registry
    from llmcli.model.generate import greedy_batch
    from llmcli.model.loading import load_model

    teacher = load_model(models / "reverse-teacher")
    task = registry.get().tasks.entry("reverse").item.configured({})
    head = registry.get_head("lm")
    examples = [{"input": "apple river stone", "output": "stone river apple"}, {"input": "bird tree", "output": "x"}]
    items = head.encode(task=task, examples=examples, tokenizer=teacher.tokenizer, context=64, settings={})
    relabelled = head.relabel(items, teacher.model, teacher.tokenizer, {})
    eos = teacher.tokenizer.eos_id
    for item, new in zip(items, relabelled):
        prompt = item["ids"][: item["prompt"]]
        written = greedy_batch(teacher.model, [prompt], 2 * (len(item["ids"]) - len(prompt)), eos)[0]
        target = new["ids"][len(prompt):]
        assert new["ids"][: len(prompt)] == prompt and target == written[: len(target) - 1] + [eos]

    ok(distill("reverse", "--student", "nano", "--teacher-outputs"))
    config = json.loads((models / "student" / "config.json").read_text())
    assert config["distilled_from"]["teacher_outputs"] is True
    one_line_error(distill("bird", "--student", "nano", "--teacher-outputs"), "--teacher-outputs",
                   "head is classify")


def test_resume_continues_exactly_with_the_same_teacher(models, stop_at):
    from safetensors.torch import load_file, save_file

    ok(distill("bird", "--student", "nano", name="straight"))
    stop_at["at"] = 3
    assert distill("bird", "--student", "nano", name="halves").exit_code == 130
    stop_at["at"] = None
    ok(run("distill", "bird", "--name", "halves", "--resume"))
    straight, halves = models / "straight", models / "halves"
    assert step_losses(halves) == step_losses(straight) and len(step_losses(halves)) == 6
    assert (halves / "model.safetensors").read_bytes() == (straight / "model.safetensors").read_bytes()
    assert summary(halves)["val_kl"] == summary(straight)["val_kl"]

    one_line_error(run("distill", "bird", "--name", "halves", "--resume", "--teacher", "reverse-teacher"),
                   "halves learns from 'bird-teacher'", "resume it without --teacher")
    ok(run("mv", "bird-teacher", "bird-teacher2"))  # a renamed teacher is followed
    taught = json.loads((halves / "config.json").read_text())["distilled_from"]
    assert taught["name"] == "bird-teacher2" and taught["teacher"] == str((models / "bird-teacher2").resolve())
    ok(run("mv", "bird-teacher2", "bird-teacher"))
    weights = load_file(models / "bird-teacher" / "model.safetensors")
    weights["embed.weight"][0, 0] += 1.0
    save_file(weights, models / "bird-teacher" / "model.safetensors")
    one_line_error(run("distill", "bird", "--name", "halves", "--resume", "--steps", 8),
                   "the teacher 'bird-teacher'", "has changed since")
    shutil.rmtree(models / "bird-teacher")
    one_line_error(run("distill", "bird", "--name", "halves", "--resume", "--steps", 8), "which is missing")


def test_bad_distill_flags_are_one_line(models, trained_model):
    one_line_error(distill("bird", "--student", "nano", "--kd-ratio", 2), "--kd-ratio 2.0 is not a share")
    one_line_error(distill("bird", "--student", "nano", "--temperature", 0), "--temperature 0.0 must be positive")
    one_line_error(distill("bird"), "give the student: --student PRESET")
    one_line_error(distill("bird", "--student", "3x100"), "a multiple of 64")
    one_line_error(run("distill", "bird", "--student", "nano", *QUICK), "give the model to learn from")
    one_line_error(run("distill", "bird", "--teacher", "reverse-teacher", "--student", "nano", *QUICK),
                   "fine-tuned for task reverse, not bird")
    one_line_error(run("distill", "bird", "--teacher", "tiny", "--student", "nano", *QUICK),
                   "is a language model, not fine-tuned for bird")
    one_line_error(run("distill", "bird", "--name", "nothing", "--resume"), "no run named 'nothing' to resume")
    one_line_error(distill("bird", "--student", "bird-teacher", "--force", name="bird-teacher"),
                   "--name bird-teacher is the teacher itself")
    assert sorted(p.name for p in models.iterdir()) == ["bird-teacher", "color-teacher", "reverse-teacher", "tiny"]


def test_two_processes_follow_one(models, tmp_path):
    """A student distilled by two processes (each running the teacher on its share of the
    batch) follows one process."""
    from test_distributed import close, one_and_two_processes
    from test_distributed import step_losses as losses_by_step

    one_and_two_processes(tmp_path, models.parent, ["distill", "bird", "--teacher", "bird-teacher", "--student",
                                                    "nano", "--steps", "6", "--batch-size", "8", "--precision", "fp32"])
    one, two = losses_by_step(models / "one"), losses_by_step(models / "two")
    close(one, two, 1e-4)
    assert summary(models / "two")["val_kl"] == pytest.approx(summary(models / "one")["val_kl"], abs=1e-4)


@pytest.mark.parametrize("task", ["reverse", "bird"])
def test_a_teacher_with_a_hugging_face_tokenizer(task, models, tmp_path):
    """From an imported teacher (a tiny random Llama whose embedding is padded past its
    byte-level BPE tokenizer, as SmolLM2's route is), a new student takes its tokenizer
    files and its padded vocabulary."""
    pytest.importorskip("transformers")
    from test_hf_tokenizer import train_tiny
    from test_import import saved_folder

    folder, _ = saved_folder(tmp_path, train_tiny(tmp_path / "tok", digits=True), "llama-gqa-tied")
    ok(run("import", folder, "--name", "llama"))
    ok(run("finetune", task, "--base", "llama", "--name", "hf-teacher", *QUICK))
    ok(run("distill", task, "--teacher", "hf-teacher", "--student", "2x64", "--name", "student", *QUICK))
    student, teacher = models / "student", models / "hf-teacher"
    for name in ("tokenizer.json", "tokenizer_config.json"):
        assert (student / name).read_bytes() == (teacher / name).read_bytes()
    config, taught = (json.loads((path / "config.json").read_text()) for path in (student, teacher))
    assert config["tokenizer"] == taught["tokenizer"] and config["tokenizer"]["file"] == "tokenizer.json"
    assert config["model"]["vocab_size"] == taught["model"]["vocab_size"] > taught["tokenizer"]["vocab_size"]
    assert config["model"]["n_layer"] == 2 and config["model"]["n_embd"] == 64
    ok(run("eval", task, "-m", "student", "--limit", 4))
