"""The sentiment task: a review in, negative or positive out, with probabilities."""

from __future__ import annotations

from llmcli.tasks import Task, TaskOption

from llmcli_sentiment.lexicon import LABELS

FILE_COMMANDS = ("finetune", "eval", "data")  # the options name columns of data files


class SentimentTask(Task):
    name = "sentiment"
    description = "is a review positive or negative? (a classifier, with probabilities)"
    head = "classify"
    metrics = ("accuracy", "macro_f1")
    default_dataset = "sentiment-reviews"
    fields = ("text", "label")
    prompt = "{text}"
    # zero-shot (an instruct model): the label whose word is likelier as the answer
    zero_shot_prompt = "Classify the sentiment of the review as positive or negative.\n\n{text}"
    label_words = {"negative": ("negative", "Negative"), "positive": ("positive", "Positive")}
    input_field = "text"
    default_time = "2m30s"
    interactive_help = "Type a review (a sentence or a few) and press Enter: negative or positive?"
    options = (
        TaskOption("--text-column", "text_column", "Column (or JSON field) of data files holding the text "
                   "(default: the first of sentence, text, review).", FILE_COMMANDS, "NAME"),
        TaskOption("--label-column", "label_column", "Column (or JSON field) of data files holding the label "
                   "(default: label).", FILE_COMMANDS, "NAME"),
        TaskOption("--pooling", "pooling", "What the classifier reads when fine-tuned: last (the hidden state "
                   "of the text's last token, the default), mean (the mean over the text's tokens; the default "
                   "from a masked-LM encoder) or first (the leading token's).",
                   ("finetune",), "last|mean|first"),
    )
    pooling: str | None = None  # None: last, or mean from an encoder (the classify head decides)
    text_column: str | None = None
    label_column: str = "label"

    def render_prompt(self, example: dict, template: str | None = None) -> str:
        """The text in lower case, spacing folded: "NOT bad" and "not  bad" read the same,
        and the tokenizer spends no pieces on capitals. The prompt format's own words and
        line breaks (an instruction's) stay as written."""
        if "text" not in example:
            return super().render_prompt(example, template)
        return super().render_prompt({**example, "text": " ".join(str(example["text"]).lower().split())}, template)

    def read_file(self, path) -> list[dict]:
        from llmcli_sentiment.loaders import read_examples

        return read_examples(path, self.text_column, self.label_column)

    def extra_report(self, examples, predictions) -> dict:
        from llmcli_sentiment.confusion import confusion_matrix

        gold = [self.references(e)[0] for e in examples]
        predicted = [p.text for p in predictions]
        seen = set(gold) | set(predicted)
        extra = {"confusion_matrix": confusion_matrix(gold, predicted, [l for l in LABELS if l in seen])}
        if any(e.get("unseen_negation") for e in examples):  # the generated dataset's held-out negations
            hits = [g == p for g, p in zip(gold, predicted)]
            groups = {"negation never trained": [h for h, e in zip(hits, examples) if e.get("unseen_negation")],
                      "the others": [h for h, e in zip(hits, examples) if not e.get("unseen_negation")]}
            extra["accuracy_by_group"] = {name: {"examples": len(h), "accuracy": round(100 * sum(h) / len(h), 2)}
                                          for name, h in groups.items() if h}
        return extra

    def show_extra(self, console, extra: dict) -> None:
        from llmcli_sentiment.confusion import confusion_table, group_table

        if extra.get("confusion_matrix"):
            console.print(confusion_table(extra["confusion_matrix"]))
        if extra.get("accuracy_by_group"):
            console.print(group_table(extra["accuracy_by_group"]))

    def show_output(self, console, example, prediction) -> None:
        """The label in words first, then every label's probability as a bar."""
        from rich.text import Text

        p = prediction.details.get("probabilities", {}).get(prediction.text)
        style = {"positive": "bold green", "negative": "bold red"}.get(prediction.text, "bold")
        line = Text(prediction.text, style=style)
        if p is not None:
            line.append(f"  ({100 * p:.1f}% sure)", style="dim")
        console.print(line)
        super().show_output(console, example, prediction)
