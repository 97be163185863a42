"""`llmcli attention -m MODEL TEXT`: which tokens each token attends to, in one layer."""

from __future__ import annotations

import json
from pathlib import Path

import click

from llmcli.errors import UserError

TERMINAL_TOKENS = 32  # the terminal shows the last this many tokens; --json and --image show all
IMAGE_SUFFIXES = (".png", ".svg", ".html", ".htm")


@click.command()
@click.option("-m", "--model", "model_name", required=True, help="Model name (see `llmcli models`) or path.")
@click.argument("text")
@click.option("--layer", type=int, help="Layer to show, 1 to the model's layer count (default: the last).")
@click.option("--head", type=int, help="Head to show, 1 to the head count (default: the mean over the layer's heads).")
@click.option("--image", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save the map as FILE.png, FILE.svg or FILE.html (SVG and HTML with the tokens).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"model", "tokens", "layer", "head", "weights"} as JSON instead of drawing.')
def attention(model_name, text, layer, head, image, as_json):
    """Draw the attention of one layer of MODEL over TEXT as a heatmap in the terminal.

    \b
    Row i is the token attending, its cells the tokens before it (a causal model; an
    encoder's, every token):
    the darker, the more attention. The tokens are as the model's tokenizer split TEXT.
    The first token usually soaks up much of the attention; the colours are scaled to the
    largest weight elsewhere. Weights are computed explicitly for this command.
    """
    from llmcli.cli.attention_drawing import save, terminal_heatmap
    from llmcli.cli.console import out_console
    from llmcli.model.attention_maps import attention_maps
    from llmcli.model.loading import load_model
    from llmcli.paths import resolve_model

    if image is not None and image.suffix.lower() not in IMAGE_SUFFIXES:
        raise UserError(f"--image {image}: give a file ending in {', '.join(IMAGE_SUFFIXES)}")
    loaded = load_model(resolve_model(model_name))
    config, tokenizer = loaded.model.config, loaded.tokenizer
    ids = [tokenizer.bos_id] + tokenizer.encode(text)
    if len(ids) > config.context:
        raise UserError(f"TEXT is {len(ids)} tokens, more than the model's window of {config.context}: shorten it")
    layer = check_choice("--layer", layer, config.n_layer)
    head = check_choice("--head", head, config.n_head) if head is not None else None
    maps = attention_maps(loaded.model, ids)[layer - 1]
    weights = (maps.mean(0) if head is None else maps[head - 1]).tolist()
    tokens = [tokenizer.decode([i]) if i != tokenizer.bos_id else "<bos>" for i in ids]
    which = f"layer {layer} of {config.n_layer}, " + (f"head {head} of {config.n_head}" if head else
                                                      f"mean of {config.n_head} heads")
    if image is not None:
        save(image, tokens, weights, f"{loaded.path.name}: {which}")
    if as_json:
        click.echo(json.dumps({"model": loaded.path.name, "tokens": tokens, "layer": layer, "head": head,
                               "weights": [[round(w, 6) for w in row] for row in weights]}, ensure_ascii=False))
        return
    console = out_console()
    console.print(f"{loaded.path.name}: {which}", markup=False)
    first = max(0, len(tokens) - TERMINAL_TOKENS)
    if first:
        console.print(f"the last {TERMINAL_TOKENS} of {len(tokens)} tokens (--json or --image for all)", style="dim")
    console.print(terminal_heatmap(tokens[first:], [row[first:] for row in weights[first:]], first))
    if image is not None:
        console.print(f"saved {image}", style="dim", markup=False)


def check_choice(flag: str, value: int | None, count: int) -> int:
    """A 1-based layer or head number (default: the last layer)."""
    if value is None:
        return count
    if not 1 <= value <= count:
        raise UserError(f"{flag} {value}: the model has {count}, numbered 1 to {count}")
    return value
