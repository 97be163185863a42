"""Prompts framed by a model's chat template: the task's prompt becomes the user's turn and
the answer the assistant's, ended by the template's end-of-turn token. The lm head uses
them when its settings say "chat" (`finetune --chat`, or a model used zero-shot that has a
template); without, a prompt is bos and its text, as the heads always framed it."""

from __future__ import annotations

from llmcli.heads import fit_prompt

WHO = "the model"  # what the chat module's errors call it; callers check has_template first


def has_template(tokenizer) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


KEPT_START = 64  # tokens an overlong message keeps from its start: a zero-shot prompt's instruction
CUT_MARK = " [...] "  # where its middle went, as a reader would mark it


def chat_prompt(tokenizer, text: str, room: int) -> list[int]:
    """The ids of `text` as the user's message, up to where the assistant's answer begins,
    in at most `room` tokens. An overlong text loses tokens from its middle: its start
    holds the instruction of a zero-shot prompt, its end the question or the last of the
    document; the template keeps its frame (a cut frame would read as another conversation)."""
    from llmcli.model.chat import chat_ids

    ids = chat_ids(tokenizer, [{"role": "user", "content": text}], WHO)
    if len(ids) > room:
        body = tokenizer.encode(text)
        keep = max(0, len(body) - (len(ids) - room) - 6)  # room for the mark; the frame may shift a token or two
        start = min(KEPT_START, keep // 4)
        cut = CUT_MARK if start else ""
        text = tokenizer.decode(body[:start]) + cut + tokenizer.decode(body[len(body) - (keep - start):]) if keep else ""
        ids = chat_ids(tokenizer, [{"role": "user", "content": text}], WHO)
    return ids[max(0, len(ids) - room):]


def instruction_ids(tokenizer, text: str, room: int, chat: bool) -> list[int]:
    """A prompt's ids: framed by the chat template, or bos and the text cut to fit."""
    return chat_prompt(tokenizer, text, room) if chat else fit_prompt(tokenizer, tokenizer.encode(text), room)


def end_of_answer(tokenizer, chat: bool) -> int:
    """The token that ends an answer: the template's end of turn, or end of sequence."""
    if not chat:
        return tokenizer.eos_id
    from llmcli.model.chat import end_of_turn_id

    return end_of_turn_id(tokenizer, WHO)


def answer_text(task, example: dict, chat: bool) -> str:
    """The target as the model writes it: in a chat, the assistant's turn begins the text,
    so the space the target format puts after a plain prompt (" {summary}") goes."""
    text = task.render_target(example)
    if chat and task.target.startswith(" ") and text.startswith(" "):
        return text[1:]
    return text
