"""`llmcli chat -m MODEL`: a conversation with an instruct model, framed by its own chat
template; each answer streams and stays in the conversation."""

from __future__ import annotations

import sys

import click

from llmcli.cli.options import compile_decoding_if, compile_option, positive

HELP = "Type a message and press Enter. :reset starts a new conversation, :quit (or Ctrl-D) leaves."


@click.command()
@click.option("-m", "--model", "model_name", required=True, help="An imported instruct model (name or path).")
@click.option("--system", help="A system message that opens the conversation.")
@click.option("-n", "--max-new-tokens", type=int, default=256, show_default=True, callback=positive,
              help="Most tokens an answer may have.")
@click.option("-t", "--temperature", type=float, default=0.0, show_default=True, help="0 means greedy.")
@click.option("--seed", type=int, help="Seed for sampling.")
@click.option("--precision", type=click.Choice(["auto", "int8", "int4", "fp32"]), default="auto", show_default=True,
              help="Weights to generate with; auto: int8 on a CPU; int4: half int8's bytes (groups of 32).")
@compile_option
def chat(model_name, system, max_new_tokens, temperature, seed, precision, compiled):
    """Chat with MODEL: each line you type is a message; the answers keep the thread.

    Piped input: one message per line, each answer on one line of stdout.
    """
    from llmcli.cli.generate import refuse_encoder_model
    from llmcli.model.generate import GenerationConfig
    from llmcli.model.loading import load_model
    from llmcli.model.quantize import prepare_for_generation
    from llmcli.paths import resolve_model

    refuse_encoder_model(resolve_model(model_name))  # an encoder never answers
    loaded = load_model(resolve_model(model_name))
    prepare_for_generation(loaded.model, precision)
    compile_decoding_if(compiled, loaded.model)
    config = GenerationConfig(max_new_tokens=max_new_tokens, temperature=temperature, seed=seed).validate()
    opening = [{"role": "system", "content": system}] if system else []
    messages = list(opening)
    terminal = sys.stdin.isatty()
    if terminal:
        click.echo(HELP, err=True)
    for line in read_lines(terminal):
        if line.strip() in (":quit", ":exit"):
            break
        if line.strip() == ":reset":
            messages = list(opening)
            click.echo("(a new conversation)", err=True)
            continue
        messages.append({"role": "user", "content": line})
        answer = reply(loaded, messages, config, model_name, one_line=not terminal)
        messages.append({"role": "assistant", "content": answer})


def read_lines(terminal: bool):
    while True:
        try:
            line = input("you> ") if terminal else sys.stdin.readline()
        except EOFError:
            return
        if not terminal and not line:
            return
        yield line.rstrip("\n")


def reply(loaded, messages: list[dict], config, model_name: str, one_line: bool) -> str:
    """Stream the model's answer to the conversation; returns it."""
    from llmcli.model.chat import end_of_turn_id
    from llmcli.model.generate import stream_from_ids

    ids = fitted_ids(loaded, messages, config, model_name)
    pieces = []
    end = end_of_turn_id(loaded.tokenizer, model_name)
    for piece in stream_from_ids(loaded.model, loaded.tokenizer, ids, config, end):
        pieces.append(piece)
        if not one_line:
            sys.stdout.write(piece)
            sys.stdout.flush()
    answer = "".join(pieces).strip()
    sys.stdout.write((" ".join(answer.splitlines()) if one_line else "") + "\n")
    sys.stdout.flush()
    return answer


def fitted_ids(loaded, messages: list[dict], config, model_name: str) -> list[int]:
    """The conversation's prompt ids; the oldest turns are left out when it would not
    leave room for an answer in the model's context."""
    from llmcli.errors import UserError
    from llmcli.model.chat import chat_ids

    room = loaded.model.config.context - config.max_new_tokens
    start = 1 if messages and messages[0]["role"] == "system" else 0
    while True:
        ids = chat_ids(loaded.tokenizer, messages, model_name)
        if len(ids) <= room or len(messages) - start <= 1:
            break
        del messages[start : start + 2]  # the oldest exchange
    if len(ids) > room:
        raise UserError(f"the message is {len(ids)} tokens, more than the {room} the model's context leaves "
                        f"for it: write a shorter one, or lower --max-new-tokens")
    return ids
