"""Option types shared by several commands."""

from __future__ import annotations

import re

import click

_UNITS = {"s": 1, "m": 60, "h": 3600}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smh]?)")


def parse_duration(text: str) -> float:
    """'90', '90s', '2m', '1h30m', '1.5m' -> seconds."""
    text = text.strip().lower()
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2) or "s"]
        pos = match.end()
    if pos != len(text) or not text or total <= 0:
        raise ValueError(f"{text!r} is not a duration: use e.g. 90s, 2m or 1h30m")
    return total


class Duration(click.ParamType):
    name = "DURATION"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def positive(ctx, param, value):
    """A click callback: a number given must be greater than 0."""
    if value is not None and value <= 0:
        raise click.BadParameter("must be greater than 0")
    return value


compile_option = click.option(
    "--compile", "compiled", is_flag=True,
    help="Compile the one-token decoding step (torch.compile, C++): about twice the tokens/s of a 135M model "
         "on a CPU without llmcli's whole-step kernel (int4/int8 on a CPU with AVX-512 VNNI has it, and "
         "needs no compile). The first compile of a model takes minutes; later runs load it from the disk "
         "cache in seconds. Needs a C++ compiler (g++).")


def compile_decoding_if(compiled: bool, model) -> None:
    """--compile: give the model its compiled decoding step, saying on stderr what the first
    token will cost."""
    if not compiled:
        return
    if getattr(model, "native_step", None) is not None:
        click.echo("--compile: llmcli's whole-step kernel already runs each token (it is the faster one): "
                   "nothing to compile", err=True)
        return
    from llmcli.model.compiled_decode import compile_decoding

    compile_decoding(model)
    click.echo("compiling the decoding step at the first token (minutes the first time, seconds once cached)",
               err=True)
