"""`llmcli generate -N`: several samples of one prompt, numbered on a terminal, one JSON
object a line with --json."""

from __future__ import annotations

import json
import sys
import time

import click


def write_samples(loaded, name: str, prompt: str, ids: list[int], end, count: int, config, *, echo: bool,
                  task_model: bool, as_json: bool, stats: bool = False) -> None:
    from llmcli.cli.answer import without_leading_space
    from llmcli.model.several_samples import sample_texts

    started = time.perf_counter()
    samples = sample_texts(loaded.model, loaded.tokenizer, ids, count, config, end)
    seconds = time.perf_counter() - started
    if task_model and not (echo and not as_json):
        samples = [("".join(without_leading_space([text])), tokens) for text, tokens in samples]
    if as_json:
        for number, (text, tokens) in enumerate(samples, 1):
            click.echo(json.dumps({"model": name, "prompt": prompt, "sequence": number, "text": text,
                                   "tokens": tokens, "seconds": round(seconds, 3)}, ensure_ascii=False))
        return
    for number, (text, _) in enumerate(samples, 1):
        if number > 1:
            sys.stdout.write("\n")
        sys.stdout.write(f"── {number} of {count} ──\n{prompt if echo else ''}{text}\n")
    written = sum(tokens for _, tokens in samples)
    if stats or sys.stderr.isatty():
        click.echo(f"{count} samples, {written} tokens in {seconds:.2f} s ({written / max(seconds, 1e-9):.1f} "
                   "tokens/s, drawn together)", err=True)
