"""The translate task: a sentence in one language in, its translation out.

Examples carry their sentences under language codes ({"en": ..., "de": ...}), so one
corpus serves both directions: --src and --tgt say which field is read and which written
(English to German by default). The model reads "SOURCE =" and writes the translation.
"""

from __future__ import annotations

from llmcli.errors import UserError
from llmcli.tasks import Task, TaskOption

from llmcli_translate.loaders import LANGUAGE

NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "cs": "Czech",
         "nl": "Dutch", "pt": "Portuguese"}


def language_name(code: str) -> str:
    return NAMES.get(code, code)


class TranslateTask(Task):
    name = "translate"
    description = "translate a sentence (English to German unless --src and --tgt say otherwise)"
    head = "lm"
    metrics = ("bleu", "chrf")
    default_dataset = "grammar-en-de"
    # four beams find better translations than greedy decoding for little time on short sentences
    decoding = {"num_beams": 4, "max_new_tokens": 128}
    default_time = "2m30s"
    src = "en"
    tgt = "de"
    options = (
        TaskOption("--src", "src", "Language code of the source sentences (default: en): a field "
                   "name in JSONL and TSV, or the suffix of parallel files (train.en).", metavar="LANG"),
        TaskOption("--tgt", "tgt", "Language code of the translations (default: de).", metavar="LANG"),
    )

    # the fields and formats follow the direction chosen

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.src, self.tgt)

    @property
    def prompt(self) -> str:
        return "{" + self.src + "} ="

    @property
    def zero_shot_prompt(self) -> str:
        return (f"Translate this {language_name(self.src)} sentence into {language_name(self.tgt)}. "
                f"Reply with the translation only.\n\n{{{self.src}}}")

    suits_instruct_base = True  # an instruct base fine-tunes from the instruction it already follows

    @property
    def target(self) -> str:
        return " {" + self.tgt + "}"

    @property
    def input_field(self) -> str:
        return self.src

    @property
    def interactive_help(self) -> str:
        return (f"Type a sentence in {language_name(self.src)} and press Enter for its "
                f"{language_name(self.tgt)} translation.")

    def check_configuration(self) -> None:
        self.src, self.tgt = str(self.src).strip().lower(), str(self.tgt).strip().lower()
        for flag, code in (("--src", self.src), ("--tgt", self.tgt)):
            if not LANGUAGE.match(code):
                raise UserError(f"{flag} {code!r} is not a language code: use one like en, de or pt-br")
        if self.src == self.tgt:
            raise UserError(f"--src and --tgt are both {self.src}: translate between two languages")

    # data

    def check_example(self, example: dict, where: str) -> dict:
        if isinstance(example, dict):
            for code in self.fields:
                if code not in example:
                    has = ", ".join(name for name in example) or "nothing"
                    raise UserError(f"{where}: no {code!r} text, only {has}: choose --src and --tgt among them")
        return super().check_example(example, where)

    def splits_in(self, folder):
        from llmcli.datasets import split_files

        from llmcli_translate.loaders import parallel_splits

        return parallel_splits(folder, self.src, self.tgt) or split_files(folder)

    def read_split(self, source) -> list[dict]:
        from llmcli_translate.loaders import read_parallel

        if isinstance(source, tuple):
            return read_parallel(*source, self.src, self.tgt)
        return self.read_file(source)

    def read_file(self, path) -> list[dict]:
        from llmcli_translate.loaders import read_any

        return read_any(path, self.src, self.tgt)

    # interactive use

    def read_input(self, text: str) -> dict:
        sentence = " ".join(text.split())
        if not sentence:
            raise UserError(f"type a sentence in {language_name(self.src)}")
        return {self.src: sentence}
