"""What an instruct model writes when asked to complete a function, read as the function's
body: the code of a fenced block if there is one; of a whole function written again, the
lines after its def line (and its docstring); otherwise the text as it is."""

from __future__ import annotations

import re

FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.S)


def body_of(text: str, entry_point: str) -> str:
    match = FENCE.search(text)
    code = match.group(1) if match else text
    lines = code.split("\n")
    start = next((i for i, line in enumerate(lines) if re.match(rf"\s*def {re.escape(entry_point)}\s*\(", line)),
                 None) if entry_point else None
    if start is None:
        return code.rstrip()
    i = start
    while i < len(lines) and not lines[i].rstrip().endswith(":"):  # a def line over several lines
        i += 1
    body = skip_docstring(lines[i + 1 :])
    end = next((j for j, line in enumerate(body) if line.strip() and not line[:1].isspace()), len(body))
    return "\n".join(body[:end]).rstrip()


def skip_docstring(lines: list[str]) -> list[str]:
    """The lines after a leading docstring (the prompt has its own already)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return lines
    opening = lines[first].strip()[:3]
    if opening not in ('"""', "'''"):
        return lines
    rest = lines[first].strip()[3:]
    if opening in rest:
        return lines[first + 1 :]
    for j in range(first + 1, len(lines)):
        if opening in lines[j]:
            return lines[j + 1 :]
    return lines
