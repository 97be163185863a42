"""`llmcli fill -m ENCODER TEXT`: a masked-LM encoder's top guesses for each [MASK].

Its own command rather than a `generate --fill` flag: generate's options (temperature,
beams, stop strings, -N) all concern writing text token by token, which an encoder never
does; fill has none of them and one of its own (--top)."""

from __future__ import annotations

import sys

import click


@click.command()
@click.option("-m", "--model", "model_name", required=True,
              help="An encoder (trained with `llmcli train FILE --objective mlm`): name or path.")
@click.argument("text")
@click.option("--top", type=click.IntRange(1, 50), default=5, show_default=True, help="Guesses shown for each mask.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"model", "text", "masks": [{"position", "guesses": [{"token", "probability"}]}]} as JSON.')
def fill(model_name, text, top, as_json):
    """Show an encoder's likeliest tokens, with their probabilities, for each [MASK] in TEXT.

    \b
    TEXT is read with [MASK] written where a token is to be guessed (TEXT '-' reads stdin):
        llmcli fill -m fables-mlm "the fox ran into the [MASK] to hide"
    Each mask is guessed with the whole text in view, the words after it too.
    """
    from llmcli.model.fill import fill_masks
    from llmcli.model.loading import load_model
    from llmcli.paths import resolve_model

    if text == "-":
        text = sys.stdin.read()
    path = resolve_model(model_name)
    loaded = load_model(path)
    positions, guesses = fill_masks(loaded.model, loaded.tokenizer, text, top)
    if as_json:
        import json

        masks = [{"position": p, "guesses": [{"token": g.token, "probability": round(g.probability, 5)} for g in row]}
                 for p, row in zip(positions, guesses)]
        click.echo(json.dumps({"model": path.name, "text": text, "masks": masks}, ensure_ascii=False, indent=2))
        return
    show(path.name, text, guesses)


def show(name: str, text: str, guesses: list) -> None:
    """A table a mask: rank, the token (its spaces shown), its probability."""
    from rich.table import Table

    from llmcli.cli.console import out_console

    console = out_console()
    for number, row in enumerate(guesses, 1):
        title = f"[MASK] {number} of {len(guesses)}" if len(guesses) > 1 else "[MASK]"
        table = Table(title=f"{name}: {title}", title_justify="left")
        table.add_column("#", justify="right")
        table.add_column("token")
        table.add_column("probability", justify="right")
        for rank, guess in enumerate(row, 1):
            table.add_row(str(rank), repr(guess.token), f"{100 * guess.probability:.1f}%")
        console.print(table)
