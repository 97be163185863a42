"""The numbers task: a number in digits in, the same number in English words out."""

from __future__ import annotations

from llmcli.errors import UserError
from llmcli.tasks import Task

from llmcli_numbers.words import LARGEST, to_digits


class NumbersTask(Task):
    name = "numbers"
    description = "write a number from 0 to 99,999 in English words"
    head = "lm"
    metrics = ("exact_match", "word_error_rate")
    default_dataset = "numbers-words"
    fields = ("number", "words")
    prompt = "{number} in words:"
    target = " {words}"
    input_field = "number"
    decoding = {"max_new_tokens": 32}  # the longest answer is about 15 tokens
    default_time = "2m"
    interactive_help = "Type a whole number from 0 to 99,999 (commas optional) and press Enter."

    def read_input(self, text: str) -> dict:
        """ "12031", "12,031" and "12 031" all become the training format, "12,031"."""
        digits = text.strip().replace(",", "").replace(" ", "").replace("_", "")
        if not digits.isdigit() or int(digits) > LARGEST:
            raise UserError(f"{text.strip()!r} is not a whole number from 0 to {LARGEST:,}: type one like 12,031")
        return {self.input_field: to_digits(int(digits))}
