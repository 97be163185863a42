"""Running llmcli's CLI in-process in tests, what its results must look like, and the
argument lists of the tiny training and fine-tuning runs the tests make."""

from __future__ import annotations

from click.testing import CliRunner

from llmcli.cli import main


def run(*args, env=None, input=None):
    """`llmcli ARGS` in this process (each argument made a string), with `env` set for the
    call and `input` on stdin; returns click's Result."""
    return CliRunner().invoke(main, [str(a) for a in args], env=env, input=input)


def ok(result):
    """Exit status 0 (the output says why not); returns the result itself."""
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result, *fragments, code=1, alone=False):
    """Exit status `code` (any non-zero one when None), no traceback, and one `Error` line on
    stderr holding every fragment (with `alone`, nothing else printed); returns that line."""
    if code is None:
        assert result.exit_code != 0, result.output
    else:
        assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr
    if alone:
        assert [line for line in result.output.splitlines() if line.strip()] == errors, result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def write_splits(folder, generate, counts: dict[str, int]):
    """A folder of a generator's splits as JSONL files a user might have ({"train": 400, ...}
    examples each, `generate(split, count, seed 0)`); returns the folder."""
    import json

    folder.mkdir()
    for split, count in counts.items():
        rows = generate(split, count, 0)
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def tiny_train_args(steps=12, batch_size=8, context=64, *, precision=None):
    """`llmcli train` options for a nano model trained in seconds, without the sample at the end."""
    args = ["--preset", "nano", "--steps", str(steps), "--batch-size", str(batch_size), "--context", str(context),
            "--no-sample"]
    return args + (["--precision", precision] if precision else [])


def tiny_finetune_args(steps=3, batch_size=8, *, preset="nano", precision="fp32", device="cpu"):
    """`llmcli finetune` options for a run of a few steps; a None preset, precision or device
    leaves that option out (to llmcli's default, or to --base)."""
    args = ["--preset", preset] if preset else []
    args += ["--steps", str(steps), "--batch-size", str(batch_size)]
    args += ["--precision", precision] if precision else []
    return args + (["--device", device] if device else [])


TINY_TRAIN_ARGS = tiny_train_args()
TINY_FINETUNE_ARGS = tiny_finetune_args()
