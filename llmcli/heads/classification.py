"""The sequence-classification head: a linear layer on the hidden state of the last token
(a causal model's only token that has seen the whole text), marked by <sep>, as
GPT2ForSequenceClassification pools; or, with the "pooling" setting "mean", on the mean of
the text's hidden states; or, "first", on the leading token's (bos), as BERT reads its
[CLS]. Batches are padded on the right and each row's own length picks its last token, so
padding never reaches what is pooled (an encoder is told where it is, so that no token
attends to it).

An encoder's last token is nothing special: fine-tuned from a masked-LM encoder, a task
that chose no pooling gets "mean".

It reads three attributes of the task: `label_field`, the field holding the class (default
"label"), `labels`, the classes in order (default: those of the training data), and
`pooling` ("last", the default, "mean" or "first"; a task may let the user choose it with
a TaskOption, as sentiment's `--pooling` does)."""

from __future__ import annotations

from llmcli.errors import UserError
from llmcli.heads import Head, hidden_states
from llmcli.predictions import Prediction

PREDICT_BATCH = 32
LABEL_FIELD = "label"  # where the class is when the task sets no `label_field`
POOLINGS = ("last", "mean", "first")


class ClassificationHead(Head):
    name = "classify"
    description = "sequence classification: a label and its probability for each text"
    zero_shot_head = "zero-shot-classify"

    def label_of(self, task, example: dict) -> str:
        """The class of an example: its `task.label_field` field, as text."""
        return str(task.field(example, getattr(task, "label_field", LABEL_FIELD)))

    def references(self, task, example):
        return [self.label_of(task, example)]

    def settings(self, *, task, examples):
        labels = list(getattr(task, "labels", ())) or sorted({self.label_of(task, example) for example in examples})
        if len(labels) < 2:
            raise UserError(f"the training data of task {task.name} has only the label(s) {labels}: "
                            "a classifier needs at least two")
        pooling = getattr(task, "pooling", None) or "last"
        if pooling not in POOLINGS:
            raise UserError(f"pooling {pooling!r} is not one of {', '.join(POOLINGS)}: choose one of those")
        return {"labels": labels, "pooling": pooling}

    def encoder_settings(self, settings, *, task):
        if getattr(task, "pooling", None):
            return settings  # the user's choice
        return {**settings, "pooling": "mean"}

    def tokenizer_texts(self, *, task, example, prompt=None):
        return [task.render_prompt(example, prompt)]

    def build(self, *, model_config, settings):
        import torch

        layer = torch.nn.Linear(model_config.n_embd, len(settings["labels"]))
        torch.nn.init.normal_(layer.weight, std=0.02)
        torch.nn.init.zeros_(layer.bias)
        layer.pooling = settings.get("pooling", "last")  # rebuilt from the settings, not saved with the weights
        return layer

    def text_ids(self, task, example, tokenizer, context, prompt):
        body = tokenizer.encode(task.render_prompt(example, prompt))[: context - 2]
        return [tokenizer.bos_id] + body + [tokenizer.sep_id]

    def encode(self, *, task, examples, tokenizer, context, settings, prompt=None):
        index = {label: i for i, label in enumerate(settings["labels"])}
        items = []
        for example in examples:
            label = self.label_of(task, example)
            if label not in index:
                raise UserError(f"label {label!r} is not one of the model's labels ({', '.join(index)})")
            items.append({"ids": self.text_ids(task, example, tokenizer, context, prompt), "label": index[label]})
        return items

    def collate(self, items, pad_id):
        import torch

        from llmcli.training.example_batches import padded

        ids = padded([item["ids"] for item in items], pad_id)
        last = torch.tensor([len(item["ids"]) - 1 for item in items])
        labels = torch.tensor([item.get("label", -1) for item in items])
        return ids, last, labels

    def logits(self, model, ids, last):
        import torch

        inside = torch.arange(ids.shape[1], device=ids.device)[None, :] <= last[:, None]
        hidden = hidden_states(model, ids, ~inside)
        if model.task_head.pooling == "mean":
            pooled = (hidden * inside[..., None]).sum(1) / (last[:, None] + 1)
        elif model.task_head.pooling == "first":
            pooled = hidden[:, 0]
        else:
            pooled = hidden[torch.arange(len(last)), last]
        return model.task_head(pooled).float()

    def distributions(self, model, batch):
        ids, last, _ = batch
        return [(self.logits(model, ids, last), None)]

    def loss_from(self, distributions, batch):
        import torch.nn.functional as F

        return F.cross_entropy(distributions[0][0], batch[2])

    def loss(self, model, batch):
        return self.loss_from(self.distributions(model, batch), batch)

    def predict(self, bundle, examples, *, decoding=None):
        import torch

        model, tokenizer, task, prompt = bundle.model, bundle.tokenizer, bundle.task, bundle.prompt
        labels = bundle.settings["labels"]
        device = next(model.parameters()).device
        context = model.config.context
        out = []
        for start in range(0, len(examples), PREDICT_BATCH):
            chunk = examples[start : start + PREDICT_BATCH]
            items = [{"ids": self.text_ids(task, e, tokenizer, context, prompt)} for e in chunk]
            ids, last, _ = self.collate(items, tokenizer.pad_id)
            with torch.inference_mode():
                probs = self.logits(model, ids.to(device), last.to(device)).softmax(-1).cpu()
            for row in probs.tolist():
                best = max(range(len(labels)), key=row.__getitem__)
                out.append(Prediction(labels[best], {"probabilities": dict(zip(labels, row))}))
        return out
