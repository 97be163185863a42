"""Every user error is one line on stderr, a non-zero exit, and no traceback."""

from __future__ import annotations

import json

import pytest
from cli_helpers import one_line_error, run


def test_missing_file(tmp_path):
    one_line_error(run("train", str(tmp_path / "nope.txt"), "--steps", "1"), "no such file")


def test_directory(tmp_path):
    one_line_error(run("train", str(tmp_path), "--steps", "1"), "is a directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n")
    one_line_error(run("train", str(path), "--steps", "1"), "is empty")


def test_binary_file(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 10)
    one_line_error(run("train", str(path), "--steps", "1"), "binary")


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("hello\nwörld\n".encode("latin-1"))
    one_line_error(run("train", str(path), "--steps", "1"), "not valid UTF-8", "line 2")


def test_corpus_too_small_for_vocabulary(small_corpus):
    result = run("train", str(small_corpus), "--steps", "1", "--vocab-size", "30000")
    one_line_error(result, "--vocab-size")


def test_corpus_too_small_for_context(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text("a small file with very few words in it.\n" * 3)
    result = run("train", str(path), "--steps", "1", "--preset", "nano")
    one_line_error(result, "too small")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--time", "soon"], "not a duration"),
        (["--steps", "0"], "greater than 0"),
        (["--preset", "huge"], "huge"),
        (["--steps", "5", "--time", "1m"], "not both"),
        ([], "give a budget"),
        (["--steps", "1", "--precision", "fp8"], "fp8"),
        (["--steps", "1", "--name", "bad/name"], "invalid run name"),
        (["--steps", "1", "--device", "tpu"], "device"),
    ],
)
def test_bad_flag_values(small_corpus, args, fragment):
    result = run("train", str(small_corpus), *args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert fragment in result.output


def test_unknown_model():
    one_line_error(run("generate", "-m", "nobody", "hi"), "no model named 'nobody'")
    one_line_error(run("info", "nobody"), "no model named 'nobody'")


def test_bad_generation_value(trained_model):
    one_line_error(run("generate", "-m", trained_model.name, "--top-p", "2", "x"), "--top-p must be in")


def test_corrupt_weights(trained_model):
    (trained_model / "model.safetensors").write_bytes(b"\x00garbage")
    one_line_error(run("generate", "-m", trained_model.name, "x"), "corrupt")


def test_corrupt_config(trained_model):
    (trained_model / "config.json").write_text("{not json")
    one_line_error(run("generate", "-m", trained_model.name, "x"), "corrupt")


def test_mismatched_checkpoint(trained_model):
    config = json.loads((trained_model / "config.json").read_text())
    config["model"]["n_embd"] *= 2
    (trained_model / "config.json").write_text(json.dumps(config))
    one_line_error(run("generate", "-m", trained_model.name, "x"), "does not match")


def test_resume_mismatched_corpus(trained_model, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("something else entirely\n" * 500)
    result = run("train", str(other), "--name", trained_model.name, "--resume")
    one_line_error(result, "not the file")


def test_existing_name_needs_force_or_resume(trained_model, small_corpus):
    result = run("train", str(small_corpus), "--name", trained_model.name, "--steps", "1")
    one_line_error(result, "already exists", "--resume", "--force")


def test_debug_shows_traceback(tmp_path):
    result = run("--debug", "train", str(tmp_path / "nope.txt"), "--steps", "1")
    assert result.exit_code != 0
    assert result.exception is not None


def test_several_samples_need_sampling(trained_model):
    one_line_error(run("generate", "-m", trained_model.name, "-N", "3", "--greedy", "x"),
                   "--num-return-sequences draws samples")
    one_line_error(run("generate", "-m", trained_model.name, "-N", "2", "--no-repeat-ngram", "2", "x"),
                   "does not take --repetition-penalty or --no-repeat-ngram")
