"""Whether a fine-tune frames its prompts with the base's chat template: asked for with
`--chat` (or refused with `--no-chat`), and otherwise where the task says it suits an
instruct base (`Task.suits_instruct_base`) and the base has a template. Only a head that
writes text (`Head.chats`, the lm head's) reads the setting."""

from __future__ import annotations

from pathlib import Path

from llmcli.errors import UserError


def chat_setting(asked: bool | None, task, head, base: Path | None) -> bool:
    if asked is False or (asked is None and not getattr(task, "suits_instruct_base", False)):
        return False
    if not getattr(head, "chats", False):
        if asked:
            raise UserError(f"--chat frames the prompts of a task whose model writes its answer (the lm head); "
                            f"{task.name}'s head is {head.name}: fine-tune without --chat")
        return False
    if not has_chat_template(base):
        if asked:
            where = "a model trained from scratch has none" if base is None else f"{Path(base).name} has none"
            raise UserError(f"--chat needs a --base with a chat template (an imported instruct model): {where}")
        return False
    return True


def has_chat_template(base: Path | None) -> bool:
    if base is None:
        return False
    from llmcli.model.tokenizer_files import open_tokenizer
    from llmcli.training.run_config import load_config

    tokenizer = open_tokenizer(base, load_config(base).tokenizer.type)
    return bool(getattr(tokenizer, "chat_template", None))
