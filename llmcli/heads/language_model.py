"""The language-modelling head: the core model writes the target after the prompt; the
loss counts the target tokens only, so the model learns to answer, not to echo prompts.

It reads the task's `target` (the format of what the model writes after the prompt) and
`decoding` (generation settings); a plain language model serves its tasks too. With the
setting "chat" (`finetune --chat`), each prompt is framed by the model's chat template
and the target is the assistant's turn, ended by the template's end-of-turn token."""

from __future__ import annotations

from dataclasses import asdict
from typing import Iterator

from llmcli.heads import Head, fit_prompt
from llmcli.heads.chat_prompts import answer_text, end_of_answer, instruction_ids
from llmcli.predictions import Prediction

MAX_NEW_TOKENS = 128


class LanguageModelHead(Head):
    name = "lm"
    description = "generation: the target is written after the prompt; loss on target tokens only"
    streams = True
    serves_plain_model = True
    generates = True
    chats = True  # `finetune --chat` can frame its prompts with a chat template
    zero_shot_head = "zero-shot"

    def target_format(self, task):
        return task.target

    def tokenizer_texts(self, *, task, example, prompt=None):
        return [task.render_prompt(example, prompt), task.render_target(example)]

    def encode(self, *, task, examples, tokenizer, context, settings, prompt=None):
        chat = settings.get("chat", False)
        end = end_of_answer(tokenizer, chat)
        texts = [task.render_prompt(e, prompt) for e in examples]
        prompts = [None] * len(texts) if chat else tokenizer.encode_batch(texts)
        targets = tokenizer.encode_batch([answer_text(task, e, chat) for e in examples])
        items = []
        for text, prompt_part, target in zip(texts, prompts, targets):
            target = (target + [end])[:context]  # an overlong target is cut...
            room = context + 1 - len(target)  # ...the prompt keeps bos (or its chat frame)
            start = instruction_ids(tokenizer, text, room, True) if chat else fit_prompt(tokenizer, prompt_part, room)
            items.append({"ids": start + target, "prompt": len(start)})
        return items

    def collate(self, items, pad_id):
        import torch

        from llmcli.training.example_batches import padded

        ids = padded([item["ids"] for item in items], pad_id)
        x, y = ids[:, :-1], ids[:, 1:]
        positions = torch.arange(y.shape[1])[None, :]
        starts = torch.tensor([item["prompt"] - 1 for item in items])[:, None]
        ends = torch.tensor([len(item["ids"]) - 1 for item in items])[:, None]
        mask = (positions >= starts) & (positions < ends)  # y[i] is a target token
        return x, y, mask

    def loss(self, model, batch):
        return model(*batch)[1]  # without the full logits (model/fused_loss.py)

    def distributions(self, model, batch):
        x, _, mask = batch
        return [(model(x)[0], mask)]  # the next-token distribution at every target position

    def loss_from(self, distributions, batch):
        import torch.nn.functional as F

        logits, mask = distributions[0]
        return F.cross_entropy(logits[mask].float(), batch[1][mask])

    def relabel(self, items, model, tokenizer, settings):
        """Each item's target written by `model` greedily, at most twice as long as the
        dataset's (and within the window), prompts of one length decoded as one batch."""
        from llmcli.model.generate import greedy_batch

        end, context = end_of_answer(tokenizer, settings.get("chat", False)), model.config.context
        by_length: dict[int, list[int]] = {}
        for index, item in enumerate(items):
            by_length.setdefault(item["prompt"], []).append(index)
        out = list(items)
        for length, rows in by_length.items():
            for start in range(0, len(rows), GREEDY_BATCH):
                chunk = rows[start : start + GREEDY_BATCH]
                longest = max(len(items[i]["ids"]) - length for i in chunk)
                room = max(1, min(2 * longest, context - length))
                written = greedy_batch(model, [items[i]["ids"][:length] for i in chunk], room, end)
                for i, ids in zip(chunk, written):
                    target = ids[: room - 1] + [end]  # ended as the dataset's targets are
                    out[i] = {**items[i], "ids": items[i]["ids"][:length] + target}
        return out

    def loss_weight(self, batch):
        return int(batch[2].sum())  # the target tokens: the loss is their mean

    def generation_config(self, task, decoding: dict | None):
        from llmcli.model.generate import GenerationConfig

        options = {"max_new_tokens": MAX_NEW_TOKENS, "temperature": 0.0, **task.decoding, **(decoding or {})}
        options["stop"] = tuple(options.get("stop", ()))
        return GenerationConfig(**options).validate()

    def stream(self, bundle, example, *, decoding=None) -> Iterator[str]:
        from llmcli.model.generate import stream_from_ids

        model, tokenizer, chat = bundle.model, bundle.tokenizer, bundle.settings.get("chat", False)
        config = self.generation_config(bundle.task, decoding)
        text = bundle.task.render_prompt(example, bundle.prompt)
        ids = instruction_ids(tokenizer, text, prompt_room(model, config), chat)
        return stream_from_ids(model, tokenizer, ids, config, end_of_answer(tokenizer, chat))

    def samples(self, bundle, example, count: int, *, decoding=None) -> list[str]:
        """`count` sampled answers to one example (pass@k's), drawn together in one batched
        pass seeded by the decoding's seed; settings the batched sampler lacks (repetition
        penalty, n-gram ban, beams, greedy) write them one at a time, seeded seed, seed+1..."""
        config = self.generation_config(bundle.task, decoding)
        if config.temperature == 0 or config.num_beams > 1 or config.repetition_penalty != 1.0 \
                or config.no_repeat_ngram:
            seed = config.seed or 0
            return ["".join(self.stream(bundle, example, decoding={**(decoding or {}), "seed": seed + i}))
                    for i in range(count)]
        from llmcli.model.several_samples import sample_texts

        model, tokenizer, chat = bundle.model, bundle.tokenizer, bundle.settings.get("chat", False)
        ids = instruction_ids(tokenizer, bundle.task.render_prompt(example, bundle.prompt),
                              prompt_room(model, config), chat)
        return [text for text, _ in sample_texts(model, tokenizer, ids, count, config, end_of_answer(tokenizer, chat))]

    def answer_ids(self, bundle, example, answer: str) -> tuple[list[int], list[int]]:
        """The prompt's ids as `stream` frames it, and an answer's ids after it, as the
        model read them (for `run`'s :attention); an empty answer is the end token the
        model wrote at once."""
        tokenizer, chat = bundle.tokenizer, bundle.settings.get("chat", False)
        text = bundle.task.render_prompt(example, bundle.prompt)
        lead = " " if not chat and self.target_format(bundle.task).startswith(" ") else ""
        written = tokenizer.encode(lead + answer) if answer.strip() else [end_of_answer(tokenizer, chat)]
        return instruction_ids(tokenizer, text, bundle.model.config.context, chat), written

    def predict(self, bundle, examples, *, decoding=None):
        config = self.generation_config(bundle.task, decoding)
        if beams_only(config):
            return self.predict_batched(bundle, examples, config, beams=True)
        if not plain_greedy(config):
            return [Prediction("".join(self.stream(bundle, example, decoding=decoding)).strip())
                    for example in examples]
        return self.predict_batched(bundle, examples, config, beams=False)

    def predict_batched(self, bundle, examples, config, beams: bool):
        """Greedy decoding or beam search, prompts of the same length decoded as one batch
        (the usual evaluation settings, many times faster than one example at a time)."""
        from llmcli.model.batched_beams import beam_search_batch
        from llmcli.model.decoding_steps import earliest_stop
        from llmcli.model.generate import greedy_batch
        from llmcli.model.utf8_guard import complete_text, guard_for

        model, tokenizer, task, prompt = bundle.model, bundle.tokenizer, bundle.task, bundle.prompt
        context = model.config.context
        chat = bundle.settings.get("chat", False)
        end = end_of_answer(tokenizer, chat)
        prompts = self.prompts(tokenizer, [task.render_prompt(e, prompt) for e in examples],
                               prompt_room(model, config), chat)
        by_length: dict[int, list[int]] = {}
        for index, ids in enumerate(prompts):
            by_length.setdefault(len(ids), []).append(index)
        texts: list[str] = [""] * len(examples)
        guard = None if beams else guard_for(tokenizer, model.config, next(model.parameters()).device)
        for length, rows in by_length.items():
            window = context - length + 1  # tokens a batch can write before the window is full
            size = BEAM_BATCH if beams else GREEDY_BATCH
            for start in range(0, len(rows), size):
                chunk = rows[start : start + size]
                if beams:
                    outputs = beam_search_batch(model, [prompts[i] for i in chunk], config, end)
                else:
                    outputs = greedy_batch(model, [prompts[i] for i in chunk], config.max_new_tokens, end, guard)
                for row, ids in zip(chunk, outputs):
                    if not beams and len(ids) >= window and config.max_new_tokens > window:
                        # still writing at the window's end: one at a time, sliding the window
                        pieces = self.stream(bundle, examples[row], decoding=asdict(config))
                        texts[row] = "".join(pieces).strip()
                        continue
                    text = complete_text(tokenizer, ids)
                    cut = earliest_stop(text, config.stop)
                    texts[row] = (text if cut is None else text[:cut]).strip()
        return [Prediction(text) for text in texts]

    def prompts(self, tokenizer, texts: list[str], room: int, chat: bool) -> list[list[int]]:
        if chat:
            return [instruction_ids(tokenizer, text, room, True) for text in texts]
        return [fit_prompt(tokenizer, ids, room) for ids in tokenizer.encode_batch(texts)]


GREEDY_BATCH = 64
BEAM_BATCH = 16  # prompts searched together (each with num_beams rows)


def prompt_room(model, config) -> int:
    """Tokens a prompt may keep: the window less room to write (at most half the window)."""
    context = model.config.context
    return max(1, context - min(config.max_new_tokens, context // 2))


def beams_only(config) -> bool:
    """Beam search (deterministic, whatever its penalties): batchable."""
    return config.num_beams > 1


def plain_greedy(config) -> bool:
    """Greedy decoding with nothing that looks back at earlier tokens: batchable."""
    return (config.temperature == 0 and config.num_beams == 1 and config.repetition_penalty == 1.0
            and config.no_repeat_ngram == 0)
