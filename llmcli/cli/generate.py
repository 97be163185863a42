"""`llmcli generate -m MODEL [PROMPT]`: text from a trained model, streamed to stdout."""

from __future__ import annotations

import sys

import click

from llmcli.cli.options import compile_decoding_if, compile_option
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
@click.option("-N", "--num-return-sequences", "samples", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Write N samples of the prompt, drawn together in one batched pass, numbered (with --json: "
                   "one JSON object a line). --seed repeats the set.")
@click.option("--greedy", is_flag=True, help="Always take the most likely token (same as -t 0).")
@click.option("--no-cache", is_flag=True, help="Recompute the whole context each token (slow; for checking).")
@click.option("--echo/--no-echo", default=True, show_default=True, help="Print the prompt before the continuation.")
@click.option("--chat", is_flag=True, help="PROMPT is a user's message: the model's chat template frames it, and "
                                          "only the answer is printed (imported instruct models).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, mps or auto.")
@click.option("--precision", type=click.Choice(["auto", "int8", "int4", "fp32"]), default="auto", show_default=True,
              help="Weights to generate with; auto: int8 on a CPU (several times faster), else fp32; int4: half "
                   "int8's bytes (groups of 32, as a Q4_1 file), int8 where it does not fit.")
@compile_option
@click.option("--stats", is_flag=True, help="Then a line on stderr: tokens, tokens/s, time to the first token "
                                            "(always when stderr is a terminal).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"model", "prompt", "text", "tokens", "seconds", ...} as JSON at the end, not streamed.')
def generate(model_name, prompt, max_new_tokens, temperature, top_k, top_p, repetition_penalty,
             no_repeat_ngram, stop, seed, beams, samples, greedy, no_cache, echo, chat, device, precision, stats,
             as_json, compiled):
    """Continue PROMPT (or text read from stdin when PROMPT is '-') with a trained model.

    A model fine-tuned for a task that writes text (translate, summarize...) reads the
    prompt as `llmcli run` frames it: after <bos>, in the task's prompt format (shown on
    stderr; `llmcli data show DATASET` shows it too), e.g. "the small dog sees a red
    bird =" for translate; one fine-tuned with --chat, as the user's turn of its chat
    template. With --greedy, --no-echo and -n 128 it writes what
    `llmcli run TASK --beams 1` does. A classifier or span reader writes no text: use `llmcli run`;
    nor does a masked-LM encoder (`train --objective mlm`): use `llmcli fill`.
    """
    from llmcli.model.generate import GenerationConfig
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
    if samples > 1:
        check_samples(config)
    path = resolve_model(model_name)
    refuse_encoder_model(path)
    task = generating_task(path)
    loaded = load_model(path, device=str(pick_device(device)))
    prepare_for_generation(loaded.model, precision)
    compile_decoding_if(compiled, loaded.model)
    ids, end = prompt_ids_and_end(loaded, prompt, task, chat, model_name)
    if samples > 1:
        from llmcli.cli.generate_samples import write_samples

        write_samples(loaded, path.name, prompt, ids, end, samples, config, echo=echo and not chat,
                      task_model=task is not None and not chat, as_json=as_json, stats=stats)
    else:
        write_one(loaded, path.name, prompt, ids, end, config, echo=echo and not chat,
                  task_model=task is not None and not chat, as_json=as_json, stats=stats)


def write_one(loaded, name: str, prompt: str, ids: list[int], end, config, *, echo: bool, task_model: bool,
              as_json: bool, stats: bool) -> None:
    """The continuation streamed to stdout as it is written (or one JSON object at the end).
    A task model's target starts with a space that `run` drops: so does this, unless the
    prompt is echoed before it."""
    from llmcli.model.generate import Timing, stream_from_ids

    timing = Timing()
    pieces = stream_from_ids(loaded.model, loaded.tokenizer, ids, config, end, timing)
    if task_model and not (echo and not as_json):
        from llmcli.cli.answer import without_leading_space

        pieces = without_leading_space(pieces)
    if as_json:
        write_json(name, prompt, "".join(pieces), timing)
        return
    out = sys.stdout
    if echo:
        out.write(prompt)
        out.flush()
    for piece in pieces:
        out.write(piece)
        out.flush()
    out.write("\n")
    if stats or sys.stderr.isatty():
        click.echo(timing_line(timing), err=True)


def check_samples(config) -> None:
    """-N samples: sampling only, without what looks back at each row's own tokens."""
    if config.temperature == 0 or config.num_beams > 1:
        raise UserError("--num-return-sequences draws samples: give a --temperature above 0, without --greedy or "
                        "--beams (greedy decoding and beam search write one text)")
    if config.repetition_penalty != 1.0 or config.no_repeat_ngram:
        raise UserError("--num-return-sequences does not take --repetition-penalty or --no-repeat-ngram yet: "
                        "leave them out, or write one sample at a time with --seed")


def prompt_ids_and_end(loaded, prompt: str, task, chat: bool, model_name: str) -> tuple[list[int], int | None]:
    """The prompt's ids as generation reads them and the token that ends the text: a chat
    turn framed by the template (ending at its end of turn), a task model's prompt after
    bos, or a language model's text (a newline when there is none)."""
    tokenizer = loaded.tokenizer
    if chat or (task is not None and task.settings.get("chat")):  # `finetune --chat` learnt its prompts framed
        from llmcli.model.chat import chat_ids, end_of_turn_id

        return (chat_ids(tokenizer, [{"role": "user", "content": prompt}], model_name),
                end_of_turn_id(tokenizer, model_name))
    if task is not None:
        return [tokenizer.bos_id] + tokenizer.encode(prompt), tokenizer.eos_id
    ids = tokenizer.encode(prompt or "\n") or [tokenizer.bos_id]
    return ids, (tokenizer.eos_id if tokenizer.eos_id >= 0 else None)


def timing_line(timing) -> str:
    if not timing.tokens:
        return f"no tokens written (prompt: {timing.prompt_tokens} tokens)"
    return (f"{timing.tokens} tokens in {timing.seconds:.2f} s ({timing.tokens_per_s:.1f} tokens/s); "
            f"prompt: {timing.prompt_tokens} tokens, first token after {timing.first_token_s:.2f} s")


def write_json(model: str, prompt: str, text: str, timing) -> None:
    import json

    click.echo(json.dumps({
        "model": model, "prompt": prompt, "text": text, "prompt_tokens": timing.prompt_tokens,
        "tokens": timing.tokens, "seconds": round(timing.seconds, 3),
        "tokens_per_s": round(timing.tokens_per_s, 1),
        "first_token_seconds": None if timing.first_token_s is None else round(timing.first_token_s, 3),
    }, ensure_ascii=False, indent=2))


def refuse_encoder_model(path) -> None:
    """An encoder writes no text: pointed at `llmcli fill` (a classifier made from one is
    refused by generating_task, pointed at `llmcli run`)."""
    from llmcli.model.config import refuse_encoder
    from llmcli.training.run_config import load_config

    config = load_config(path)
    if config.task is None:
        refuse_encoder(config.model, path.name, "generate text",
                       f"`llmcli fill -m {path.name} \"the cat sat on the [MASK]\"` shows its guesses for masked "
                       "tokens (or generate with a causal model: `llmcli train FILE`)")


def generating_task(path):
    """A fine-tuned model's TaskInfo (None for a language model). A model whose head writes
    no text (a classifier, a span reader) is refused, pointing at `llmcli run`."""
    from llmcli import registry
    from llmcli.training.run_config import load_config

    info = load_config(path).task
    if info is None:
        return None
    head = registry.get_head(info.head)
    if not head.generates:
        kind = head.description.split(":")[0]
        raise UserError(f"{path.name} is fine-tuned for {info.name} ({kind}) and writes no text: "
                        f"use `llmcli run {info.name} -m {path.name}`")
    if info.settings.get("chat"):
        frame = "as the user's turn of the base's chat template"
    else:
        frame = "after <bos>"
    click.echo(f"{path.name} is fine-tuned for {info.name}: the prompt is read as `llmcli run` reads it, "
               f"{frame}; write it in the task's format, {prompt_format(info)!r}", err=True)
    return info


def prompt_format(info) -> str:
    """The prompt format a fine-tuned model learnt: the user's, or its task's."""
    if info.prompt:
        return info.prompt
    from llmcli.registry import get_task

    try:
        return get_task(info.name).configured(info.options).prompt
    except UserError:  # the task's plugin is gone: its format is not known
        return "?"
