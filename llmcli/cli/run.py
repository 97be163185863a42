"""`llmcli run TASK [TEXT]`: use a fine-tuned model: one input, piped lines, JSONL, or a session."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from llmcli.cli.task_options import TaskCommand, task_values
from llmcli.cli.options import positive
from llmcli.errors import UserError


@click.command(cls=TaskCommand, command_name="run")
@click.argument("task_name", metavar="TASK")
@click.argument("text", required=False)
@click.option("-f", "--file", "text_file", type=click.Path(dir_okay=False),
              help="Use this file's whole text as the one input (a document to summarize, say).")
@click.option("-m", "--model", "model_ref", help="A fine-tuned model (default: the one named TASK, else the newest).")
@click.option("--input", "input_file", type=click.Path(dir_okay=False), help="JSONL examples to run, one per line.")
@click.option("--output", "output_file", type=click.Path(dir_okay=False),
              help="Where --input's results go, as JSONL (default: standard output).")
@click.option("-i", "--interactive", is_flag=True, help="A session even when standard input is not a terminal.")
@click.option("-y", "--yes", is_flag=True, help="Train the task's default model without asking, if there is none.")
@click.option("--start", type=click.Choice(["scratch", "finetune", "zero-shot"]),
              help="With no model fine-tuned for TASK, how to get one: train the quick default from scratch, "
                   "fine-tune the newest pulled or imported base, or use that base zero-shot "
                   "(default: asked on a terminal; from scratch otherwise).")
@click.option("--prompt", help="The instruction for a model used zero-shot, a format over the example's fields "
                               "(default: the task's zero-shot prompt, shown by `llmcli data show`).")
@click.option("--temperature", type=float, help="Sampling temperature (0: greedy).")
@click.option("--beams", type=int, callback=positive, help="Beam search width.")
@click.option("--max-new-tokens", "max_new_tokens", type=int, callback=positive, help="Most tokens to generate.")
@click.option("--seed", type=int, help="Seed for sampling.")
def run(task_name, text, text_file, model_ref, input_file, output_file, interactive, yes, start, prompt,
        temperature, beams, max_new_tokens, seed, **options):
    """Run a model fine-tuned for TASK.

    \b
    llmcli run TASK "some text"          one output, then exit
    llmcli run TASK --file doc.txt       the file's text as one input
    cat lines.txt | llmcli run TASK      one output per input line
    llmcli run TASK --input in.jsonl --output out.jsonl
    llmcli run TASK                      an interactive session (:help inside)

    With no -m, a model fine-tuned for TASK (with the task options given, if any) is
    chosen and named on stderr: the one named TASK, else TASK-default, else the newest.
    If there is none, llmcli offers to train the task's default model first, or, when a
    pretrained base has been pulled, to fine-tune that base or use it zero-shot (an
    instruct model answers the task's instruction, framed by its chat template). The
    task's own options are listed by `llmcli run TASK --help`.
    """
    from llmcli.registry import get_task
    from llmcli.scoring import load_task_model, task_for_model

    given = task_values(options)
    task = get_task(task_name).configured(given)
    if sum(x is not None for x in (text, text_file, input_file)) > 1:
        raise UserError("give one of TEXT, --file FILE and --input FILE")
    if text_file is not None:
        text = read_text_file(text_file)
    if output_file is not None and input_file is None:
        raise UserError("--output goes with --input FILE (JSONL in, JSONL out)")
    decoding = {k: v for k, v in [("temperature", temperature), ("num_beams", beams),
                                  ("max_new_tokens", max_new_tokens), ("seed", seed)] if v is not None}
    if text is not None:
        check_input(task, text)  # a bad input fails before any training
    if model_ref is None:
        from llmcli.cli.run_start import default_model

        model_ref = default_model(get_task(task_name), task, yes, given, start)
    tm = load_task_model(model_ref, task_for_model(get_task(task_name), given, model_ref), prompt=prompt)
    if text is not None:
        show(tm, text, decoding)
    elif input_file is not None:
        run_jsonl(tm, input_file, output_file, decoding)
    elif interactive or sys.stdin.isatty():
        from llmcli.cli.session import Session

        Session(tm, decoding).loop()
    else:
        run_lines(tm, decoding)


def read_text_file(path: str) -> str:
    from llmcli.datasets.formats import read_text

    text = read_text(Path(path))
    if not text.strip():
        raise UserError(f"{path} is empty: give a file with the text to run")
    return text.strip()


def check_input(task, text: str) -> None:
    """A single input must ask for an output: one the task would only take as a setting
    (qa's passage) is an error pointing at the task's own options."""
    from llmcli.tasks import InputTaken

    if not text.strip():
        raise UserError(EMPTY_INPUT)
    try:
        task.read_input(text)
    except InputTaken as taken:
        flags = [o.flag for o in task.options if "run" in o.commands]
        how = f"give what it needs with {' or '.join(flags)}" if flags else f"use a session: llmcli run {task.name}"
        raise UserError(f"{task.name} takes this text as a setting, with nothing to answer "
                        f"({taken.message.rstrip('.')}): {how}") from None


EMPTY_INPUT = "the input is empty: give the text to run"


def show(tm, text: str, decoding: dict) -> None:
    from llmcli.cli.answer import answer
    from llmcli.cli.console import err_console, out_console

    answer(tm, text, decoding, out_console(), err_console())


def run_lines(tm, decoding: dict) -> None:
    """One output line per input line: a prediction's own line breaks become spaces. An
    input the task refuses, or a blank line, gets an empty line (and a message on stderr
    naming the line), so outputs stay beside their inputs; the exit status is then 1. A
    line the task takes without a prediction (qa's passage) gets no output line, only its
    message on stderr."""
    from llmcli.tasks import InputTaken

    failed = 0
    for number, line in enumerate(sys.stdin, 1):
        line = line.rstrip("\n")
        try:
            if not line.strip():
                raise UserError(EMPTY_INPUT)
            example = tm.task.read_input(line)
            prediction = tm.task.predict(tm, [example], decoding=decoding)[0]
        except InputTaken as taken:
            click.echo(taken.message, err=True)
            continue
        except UserError as exc:
            failed += 1
            click.echo(f"Error: line {number}: {exc}", err=True)
            click.echo("")
            continue
        click.echo(" ".join(prediction.text.splitlines()))
    if failed:
        raise UserError(f"{failed} input line(s) could not be run (see above)")


def run_jsonl(tm, input_file: str, output_file: str | None, decoding: dict) -> None:
    """Each input record with "prediction" (and the head's details) added. The output file
    is written whole at the end, atomically, so a failure never leaves half of it."""
    from llmcli.datasets.formats import jsonl_records, read_text
    from llmcli.files import atomic_write_text
    from llmcli.scoring import predict

    path = Path(input_file)
    text = read_text(path)
    if not text.strip():
        raise UserError(f"{path}: empty file: no examples in it")
    records = [check_record(tm, r, where) for where, r in jsonl_records(path, text)]
    predictions = predict(tm, records, decoding)
    lines = [json.dumps({**r, "prediction": p.text, **p.details}, ensure_ascii=False)
             for r, p in zip(records, predictions)]
    text = "".join(line + "\n" for line in lines)
    if output_file is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(output_file, text)
        click.echo(f"{len(lines)} results written to {output_file}", err=True)


def check_record(tm, record, where: str) -> dict:
    """An input record: an object with the fields the task's prompt reads; one with just
    the input field is completed as a typed line would be. What is wrong names `where`."""
    task = tm.task
    if not isinstance(record, dict):
        raise UserError(f"{where}: expected a JSON object, e.g. {{\"{task.input_field}\": \"...\"}}")
    try:
        if task.input_field in record:
            record = completed(task, record)
        task.render_prompt(record, tm.prompt)
    except UserError as exc:
        raise UserError(f"{where}: {exc}") from None
    return record


def completed(task, record: dict) -> dict:
    from llmcli.tasks import InputTaken

    text = str(record[task.input_field])
    if not text.strip():
        raise UserError(EMPTY_INPUT)
    try:
        return {**task.read_input(text), **record}
    except InputTaken:  # the input would set something up (qa's passage): the record has its own
        return record
