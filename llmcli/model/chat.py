"""Chat templates: a conversation rendered into a model's prompt by the model's own Jinja
template. The template comes with a downloaded file, so it is untrusted input: it is
rendered in Jinja's immutable sandbox, which gives it no access to Python's internals,
files or the environment, and cannot change the values it is given."""

from __future__ import annotations

import json
from datetime import datetime

from llmcli.errors import UserError


class TemplateRefused(Exception):
    """The template itself raised (its `raise_exception`): the conversation does not suit it."""


def _raise(message: str):
    raise TemplateRefused(message)


def render_chat(template: str, messages: list[dict], *, bos_token: str = "", eos_token: str = "",
                add_generation_prompt: bool = True) -> str:
    """The prompt for `messages` ([{"role": "user", "content": "..."}, ...]), ending where
    the assistant's answer begins when `add_generation_prompt`."""
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = lambda value, indent=None: json.dumps(value, ensure_ascii=False, indent=indent)
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    try:
        return env.from_string(template).render(messages=messages, bos_token=bos_token, eos_token=eos_token,
                                                add_generation_prompt=add_generation_prompt)
    except TemplateRefused as exc:
        raise UserError(f"the model's chat template refused the conversation: {exc}") from None
    except TemplateError as exc:  # a syntax error, or the sandbox stopping an unsafe operation
        raise UserError(f"the model's chat template cannot be rendered ({type(exc).__name__}: {exc})") from None


def chat_template(tokenizer, model_name: str) -> str:
    template = getattr(tokenizer, "chat_template", None)
    if not template:
        raise UserError(f"{model_name} has no chat template (only imported instruct models have one): "
                        "generate without --chat")
    return template


def render_for(tokenizer, messages: list[dict], model_name: str, add_generation_prompt: bool = True) -> str:
    def text_of(token_id) -> str:
        return tokenizer.id_to_piece(token_id) if token_id is not None and token_id >= 0 else ""

    return render_chat(chat_template(tokenizer, model_name), messages, bos_token=text_of(tokenizer.bos_id),
                       eos_token=text_of(tokenizer.eos_id), add_generation_prompt=add_generation_prompt)


def chat_ids(tokenizer, messages: list[dict], model_name: str) -> list[int]:
    """The conversation's prompt ids, the template's special-token strings as those tokens."""
    text = render_for(tokenizer, messages, model_name)  # first: a model without a template is told so
    return tokenizer.encode_template(text)


def end_of_turn_id(tokenizer, model_name: str) -> int:
    """The token that closes an answer: the first the template writes after an assistant's
    message (<|im_end|>, <|eot_id|>), or else the tokenizer's end of sequence."""
    probe = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "ANSWER"}]
    text = render_for(tokenizer, probe, model_name, add_generation_prompt=False)
    after = text[text.rfind("ANSWER") + len("ANSWER"):]
    ids = tokenizer.encode_template(after) if after else []
    if ids and tokenizer.token_bytes(ids[0]) == 0:  # a special token, not text
        return ids[0]
    return tokenizer.eos_id
