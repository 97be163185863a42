"""One answer of `llmcli run`, shared by a single input and the interactive session:
generation tasks stream their text as it is written; the others show the prediction."""

from __future__ import annotations

import sys


def answer(tm, text: str, decoding: dict, out, err) -> tuple[dict, str] | None:
    """Read `text` as the task's input and show the model's output; return the example and
    the output's text. An input the task takes without a prediction (a context to ask
    about) shows the task's message, and returns None."""
    from llmcli.tasks import InputTaken

    try:
        example = tm.task.read_input(text)
    except InputTaken as taken:
        err.print(taken.message, markup=False, highlight=False)
        return None
    if tm.head.streams and tm.task.streams:
        return example, stream(tm, example, decoding)
    prediction = tm.task.predict(tm, [example], decoding=decoding)[0]
    tm.task.show_output(out, example, prediction)
    return example, prediction.text


def stream(tm, example: dict, decoding: dict) -> str:
    written = []
    for piece in without_leading_space(tm.head.stream(tm, example, decoding=decoding)):
        written.append(piece)
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")
    sys.stdout.flush()
    return "".join(written)


def without_leading_space(pieces):
    """The pieces of a target, less the space it begins with after the prompt."""
    started = False
    for piece in pieces:
        if not started:
            piece = piece.lstrip()
            started = bool(piece)
        yield piece
