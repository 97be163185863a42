"""`llmcli generate -m MODEL [PROMPT]`: text from a trained model, streamed to stdout."""

from __future__ import annotations

import sys

import click

from llmcli.errors import UserError


# GenerationConfig's field names, as this command's flags spell them
FLAGS = {"max_new_tokens": "--max-new-tokens", "temperature": "--temperature", "top_k": "--top-k",
         "top_p": "--top-p", "repetition_penalty": "--repetition-penalty",
         "no_repeat_ngram": "--no-repeat-ngram", "num_beams": "--beams",
         "stop must be a tuple of non-empty strings": "--stop must not be empty"}


def flag_names(message: str) -> str:
    for field, flag in sorted(FLAGS.items(), key=lambda item: -len(item[0])):
        message = message.replace(field, flag)
    return message


@click.command()
@click.option("-m", "--model", "model_name", required=True, help="Model name (see `llmcli models`) or path.")
@click.argument("prompt", required=False)
@click.option("-n", "--max-new-tokens", type=int, default=200, show_default=True, help="Tokens to generate.")
@click.option("-t", "--temperature", type=float,
              help="0 means greedy. Default: 0.8, or 0 with --chat (an instruct model's answer at its most likely).")
@click.option("--top-k", type=int, help="Sample among the K most likely tokens.")
@click.option("--top-p", type=float, help="Sample among the most likely tokens holding P of the mass.")
@click.option("--repetition-penalty", type=float, default=1.0, show_default=True,
              help="Above 1 discourages tokens already in the text.")
@click.option("--no-repeat-ngram", type=int, default=0, show_default=True, help="Never repeat an n-gram of this size.")
@click.option("--stop", multiple=True, help="Stop before this string (repeatable).")
@click.option("--seed", type=int, help="Seed for sampling: the same seed gives the same text.")
@click.option("--beams", type=int, default=1, show_default=True, help="Beam search with this many beams.")
@click.option("--greedy", is_flag=True, help="Always take the most likely token (same as -t 0).")
@click.option("--no-cache", is_flag=True, help="Recompute the whole context each token (slow; for checking).")
@click.option("--echo/--no-echo", default=True, show_default=True, help="Print the prompt before the continuation.")
@click.option("--chat", is_flag=True, help="PROMPT is a user's message: the model's chat template frames it, and "
                                          "only the answer is printed (imported instruct models).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, mps or auto.")
@click.option("--precision", type=click.Choice(["auto", "int8", "fp32"]), default="auto", show_default=True,
              help="Weights to generate with; auto: int8 on a CPU (several times faster), else fp32.")
def generate(model_name, prompt, max_new_tokens, temperature, top_k, top_p, repetition_penalty,
             no_repeat_ngram, stop, seed, beams, greedy, no_cache, echo, chat, device, precision):
    """Continue PROMPT (or text read from stdin when PROMPT is '-') with a trained model."""
    from llmcli.model.generate import GenerationConfig, stream_text
    from llmcli.model.loading import load_model
    from llmcli.model.quantize import prepare_for_generation
    from llmcli.paths import resolve_model
    from llmcli.training.devices import pick_device

    if prompt == "-":
        prompt = sys.stdin.read()
    prompt = prompt or ""
    config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        temperature=0.0 if greedy else (temperature if temperature is not None else (0.0 if chat else 0.8)),
        top_k=top_k,
        top_p=top_p,
        repetition_penalty=repetition_penalty,
        no_repeat_ngram=no_repeat_ngram,
        stop=tuple(stop),
        seed=seed,
        num_beams=beams,
        use_cache=not no_cache,
    )
    try:
        config.validate()
    except ValueError as exc:
        raise UserError(flag_names(str(exc))) from None
    loaded = load_model(resolve_model(model_name), device=str(pick_device(device)))
    prepare_for_generation(loaded.model, precision)
    out = sys.stdout
    if chat:
        pieces = chat_answer(loaded, [{"role": "user", "content": prompt}], config, model_name)
    else:
        if echo:
            out.write(prompt)
            out.flush()
        # no prompt: start from a newline, the most common beginning of a line of text
        pieces = stream_text(loaded.model, loaded.tokenizer, prompt or "\n", config)
    for piece in pieces:
        out.write(piece)
        out.flush()
    out.write("\n")


def chat_answer(loaded, messages: list[dict], config, model_name: str):
    """The model's answer to the conversation, piece by piece, ending at its end of turn."""
    from llmcli.model.chat import chat_ids, end_of_turn_id
    from llmcli.model.generate import stream_from_ids

    ids = chat_ids(loaded.tokenizer, messages, model_name)
    return stream_from_ids(loaded.model, loaded.tokenizer, ids, config, end_of_turn_id(loaded.tokenizer, model_name))
