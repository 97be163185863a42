"""The summarize task: a document (a report, a news item, a chat) in, a short summary of
its key facts out, scored by ROUGE against every reference summary."""

from __future__ import annotations

from llmcli.errors import UserError
from llmcli.tasks import Task, TaskOption

from llmcli_summarize.loaders import SOURCE_FIELDS, SUMMARY_FIELD, read_summaries, source_field_of


class SummarizeTask(Task):
    name = "summarize"
    description = "summarize a document or dialogue in a sentence or two (ROUGE)"
    head = "lm"
    metrics = ("rouge",)
    default_dataset = "summarize-facts"
    fields = ("document", "summary")
    prompt = "{document}\nSummary:"
    target = " {summary}"
    zero_shot_prompt = "Summarize the following text in one or two sentences.\n\n{document}"
    suits_instruct_base = True  # an instruct base fine-tunes from the instruction it already follows
    input_field = "document"
    # beam search finds the likelier whole summary; no n-gram ban, since the lm head's ban
    # counts the prompt's n-grams too and summaries copy phrases from their document
    decoding = {"num_beams": 4, "max_new_tokens": 80}
    default_time = "2m30s"
    interactive_help = ('Type or paste a document: put """ alone on a line before and after one of '
                        "several lines (or give --file PATH).")
    source_field: str | None = None  # None: the first of SOURCE_FIELDS a record has
    summary_field: str = SUMMARY_FIELD
    options = (
        TaskOption("--source-field", "source_field",
                   f"Field holding the document in data files (default: the first of {', '.join(SOURCE_FIELDS)}).",
                   commands=("finetune", "eval", "data", "run"), metavar="NAME"),
        TaskOption("--summary-field", "summary_field",
                   f"Field holding the reference summary in data files; numbered fields (summary1, summary2...) "
                   f"and lists are several references (default: {SUMMARY_FIELD}).",
                   commands=("finetune", "eval", "data", "run"), metavar="NAME"),
    )

    def check_configuration(self) -> None:
        for flag, value in (("--source-field", self.source_field), ("--summary-field", self.summary_field)):
            if value is not None and not value.strip():
                raise UserError(f"{flag} needs a field name, e.g. {flag} dialogue")

    def references(self, example: dict) -> list[str]:
        return list(example.get("references") or [self.field(example, "summary")])

    def read_file(self, path) -> list[dict]:
        return read_summaries(path, self.source_field, self.summary_field)

    def render_prompt(self, example: dict, template: str | None = None) -> str:
        # a record straight from a data file (`run --input dialogsum.jsonl`) has its
        # document under its own name
        if "document" not in example:
            name = source_field_of(example, self.source_field)
            if name is not None:
                example = {**example, "document": example[name]}
        return super().render_prompt(example, template)

    def read_input(self, text: str) -> dict:
        document = "\n".join(line.rstrip() for line in text.strip().splitlines())
        if not document:
            raise UserError("nothing to summarize: type or paste a document")
        return {self.input_field: document}
