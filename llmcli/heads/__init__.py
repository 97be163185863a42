"""Fine-tuning heads: how a task's examples become training batches, a loss and predictions.

A head is a light object (torch is imported inside its methods). Its extra layers, if any,
are built by `build` and attached to the core model as `model.task_head`, so they are
saved, loaded and trained with it. The built-in heads: "lm" (generation, loss on the
target tokens only), "classify" (sequence classification) and "span" (span extraction).
"""

from __future__ import annotations

from typing import Iterator


class Head:
    """Training-side methods take keyword arguments; `predict` and `stream` take the
    bundle (a llmcli.task_model.TaskModel: model, tokenizer, task, head, settings, prompt).
    A head reads the Task attributes of its own (a classifier's `label_field`) here, so
    that nothing outside the heads knows one head from another."""

    name: str = ""
    description: str = ""
    streams: bool = False  # `run` shows its text as it is written (`stream`), unless the task's `streams` is False
    serves_plain_model: bool = False  # a plain language model (no fine-tuning, no task head) can serve its tasks
    generates: bool = False  # the core model writes the output: `llmcli generate` can continue its prompts
    chats: bool = False  # reads the setting "chat": its prompts framed by the model's chat template (`--chat`)

    # the (registered) head that serves this head's tasks with a model never fine-tuned for
    # them, prompted by the task's `zero_shot_prompt`; None: such a model cannot serve them
    zero_shot_head: str | None = None

    def zero_shot_settings(self, *, task, tokenizer) -> dict:
        """A zero-shot head's settings, which no training learnt: "chat" where the model
        has a chat template (its instruction is then the user's turn)."""
        return {"chat": bool(getattr(tokenizer, "chat_template", None))}

    def references(self, task, example: dict) -> list[str]:
        """The acceptable outputs for one example, as metrics see them (`Task.references`
        asks the head): by default the rendered target."""
        return [task.render_target(example).strip()]

    def target_format(self, task) -> str | None:
        """The format of what the model learns to write, shown by `llmcli data show`; None
        when the head writes no text of its own (a label, a span)."""
        return None

    def tokenizer_texts(self, *, task, example: dict, prompt: str | None = None) -> list[str]:
        """What a tokenizer trained from scratch learns from, for one example: every text
        the model reads or writes. By default the prompt and the example's other strings."""
        return [task.render_prompt(example, prompt)] + [
            value for value in example.values() if isinstance(value, str)
        ]

    def settings(self, *, task, examples: list[dict]) -> dict:
        """JSON-able settings learnt from the training examples (a classifier's labels),
        stored with the model and given back to every other method."""
        return {}

    def encoder_settings(self, settings: dict, *, task) -> dict:
        """The settings when the base is a masked-LM encoder (its config's `causal` False),
        whose every token sees the whole text: by default as they are. (A head whose core
        model writes the output, `generates`, can't fine-tune an encoder: it is refused.)"""
        return settings

    def build(self, *, model_config, settings: dict):
        """The head's own layers (a torch.nn.Module), or None when the core model suffices."""
        return None

    def encode(self, *, task, examples: list[dict], tokenizer, context: int, settings: dict,
               prompt: str | None = None) -> list[dict]:
        """Training items: one or more per example, each a dict with at least "ids"."""
        raise NotImplementedError

    def collate(self, items: list[dict], pad_id: int) -> tuple:
        """A batch (tuple of tensors, token ids first) from items."""
        raise NotImplementedError

    def loss(self, model, batch: tuple):
        """The mean loss of a batch (a scalar tensor)."""
        raise NotImplementedError

    def distributions(self, model, batch: tuple) -> list:
        """What distillation matches a teacher on (`llmcli distill`): [(logits, mask)], each
        logits a distribution over its last dimension for the rows where mask is True (mask
        None: every row). A head without them cannot be distilled."""
        raise NotImplementedError

    def loss_from(self, distributions: list, batch: tuple):
        """The ordinary loss of a batch from the student's `distributions`, so that a
        distillation step runs the student once for both of its losses."""
        raise NotImplementedError

    def relabel(self, items: list[dict], model, tokenizer, settings: dict) -> list[dict]:
        """Training items whose targets are `model`'s own greedy outputs for their prompts
        (`distill --teacher-outputs`); only a head whose model writes its answer has them."""
        raise NotImplementedError

    def loss_weight(self, batch: tuple) -> int:
        """How many terms `loss` averages over in this batch: by default its rows. The
        trainer weighs micro-batches and processes by it, so that a step's loss is the mean
        over all its terms, as one big batch's would be."""
        return len(batch[0])

    def predict(self, bundle, examples: list[dict], *, decoding: dict | None = None) -> list:
        """A llmcli.predictions.Prediction for each example."""
        raise NotImplementedError

    def stream(self, bundle, example: dict, *, decoding: dict | None = None) -> Iterator[str]:
        """The output for one example piece by piece (interactive use); by default all at once."""
        yield self.predict(bundle, [example], decoding=decoding)[0].text


def hidden_states(model, ids, padding):
    """The core model's hidden states of a right-padded batch (`padding` True at padding).
    Only an encoder is told where the padding is: a causal model's real tokens never see it."""
    if getattr(getattr(model, "config", None), "causal", True):
        return model.hidden_states(ids)
    return model.hidden_states(ids, padding=padding)


def prompt_ids(tokenizer, text: str, room: int) -> list[int]:
    """bos and the prompt's ids, cut from the left to fit `room` tokens."""
    return fit_prompt(tokenizer, tokenizer.encode(text), room)


def fit_prompt(tokenizer, ids: list[int], room: int) -> list[int]:
    """bos and ids, the ids cut from the left to fit `room` tokens in all."""
    keep = max(0, room - 1)
    return [tokenizer.bos_id] + (ids[max(0, len(ids) - keep) :] if keep else [])
