"""The qa task: a question about a passage, answered by a span of the passage."""

from __future__ import annotations

from pathlib import Path

from llmcli.errors import UserError
from llmcli.tasks import InputTaken, Prediction, Task, TaskOption

CONTEXT_COMMAND = ":context"
SHOWN_AROUND = 60  # characters of the passage shown either side of an answer


class QATask(Task):
    name = "qa"
    description = "answer a question with a span of a passage (SQuAD-style extractive QA)"
    head = "span"
    metrics = ("squad_em", "squad_f1")
    default_dataset = "qa-facts"
    fields = ("question", "context", "answers")
    prompt = "{question}"
    zero_shot_prompt = ("Read the passage and answer the question with a few words copied from the passage.\n\n"
                        "Passage: {context}\n\nQuestion: {question}")
    input_field = "question"
    default_time = "2m30s"
    interactive_help = ("Paste a passage first, then ask questions about it (a passage of several lines "
                        "goes between lines of \"\"\"; :context TEXT changes it).")
    session_commands = (CONTEXT_COMMAND,)
    options = (TaskOption("--context", "context_file", "A text file: the passage questions are asked about.",
                          commands=("run",), metavar="FILE"),)
    context_file: str | None = None
    context: str | None = None  # the passage of a `run` session

    def check_configuration(self) -> None:
        if self.context_file is not None:
            from llmcli.datasets.formats import read_text

            text = read_text(Path(self.context_file)).strip()
            if not text:
                raise UserError(f"{self.context_file} is empty: --context needs a file with the passage to ask about")
            self.context = text

    def read_file(self, path) -> list[dict]:
        from llmcli_qa.loaders import read_qa_file

        return [self.check_example(example, where) for where, example in read_qa_file(path)]

    def read_input(self, text: str) -> dict:
        """The first input (without --context) is the passage; the others are questions.
        A line `:context TEXT` replaces the passage (piped, or in a session)."""
        text = text.strip()
        if text.startswith(CONTEXT_COMMAND + " ") or text == CONTEXT_COMMAND:
            text = text[len(CONTEXT_COMMAND):].strip()
            if not text:
                raise UserError(f"give the new passage after {CONTEXT_COMMAND}")
            self.context = None
        if self.context is None:
            self.context = text
            raise InputTaken(f"Context set ({len(text.split())} words). Ask questions about it.")
        return {"question": text, "context": self.context}

    def show_output(self, console, example: dict, prediction: Prediction) -> None:
        """The answer, then the passage around it with the answer in bold."""
        from rich.text import Text

        if not prediction.text:
            console.print("(no answer found)", style="dim")
            return
        console.print(prediction.text, markup=False, highlight=False)
        start = prediction.details.get("start", -1)
        context = example.get("context", "")
        if start < 0 or context[start : start + len(prediction.text)] != prediction.text:
            return
        end = start + len(prediction.text)
        left, right = max(0, start - SHOWN_AROUND), min(len(context), end + SHOWN_AROUND)
        if left:  # begin and end at whole words
            left = next((i + 1 for i in range(left, start) if context[i].isspace()), start)
        if right < len(context):
            right = next((i for i in range(right, end, -1) if context[i].isspace()), end)
        before = ("..." if left else "") + context[left:start]
        after = context[end:right] + ("..." if right < len(context) else "")
        console.print(Text.assemble((one_line(before), "dim"), (prediction.text, "bold"), (one_line(after), "dim")))


def one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")
