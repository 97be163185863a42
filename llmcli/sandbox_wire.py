"""The sandbox's wire, shared by the program's process and its judge (both run inside the
child; see llmcli.sandbox_child): messages on pipes, a 4-byte length and JSON, and values as
plain data (None, bools, numbers, strings, bytes, lists, tuples, dicts, sets), so that an
object of the program's never reaches the tests' `==`. Standard library only."""

import json
import os

MAX_MESSAGE = 32 << 20
BIG_INT = 1 << 1000  # beyond this an int crosses in hex (str() of a huge int is refused)

# bound before the program runs: a program that patches os or json changes only its own replies
_read, _write, _dumps, _loads = os.read, os.write, json.dumps, json.loads


class ProgramFault(BaseException):
    """The program failed in a way no test may catch: it ended early or sent garbage."""


# -- messages ---------------------------------------------------------------------------------

def read_exactly(fd: int, size: int):
    """size bytes from fd, or None if it ends first."""
    chunks, left = [], size
    while left:
        chunk = _read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(fd: int):
    """The next message on fd; None at its end; ValueError for what is not a message."""
    head = read_exactly(fd, 4)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > MAX_MESSAGE:
        raise ValueError(f"a message of {size:,} bytes")
    body = read_exactly(fd, size)
    if body is None:
        raise ValueError("a message cut short")
    return _loads(body)


def send(fd: int, message) -> None:
    body = _dumps(message).encode()
    data = len(body).to_bytes(4, "big") + body
    while data:
        written = _write(fd, data)
        if written <= 0:
            raise OSError("nothing written")
        data = data[written:]


# -- plain data ---------------------------------------------------------------------------------

def encode(value, strict: bool = False):
    """A value as JSON: None, bools, floats and strings as themselves, ints up to BIG_INT and
    lists too; the rest tagged ({"tuple": [...]}, {"dict": [[key, value], ...]}...). Any
    other object is an error when strict (the tests' arguments), {"object": its type} else."""
    if value is None or type(value) in (bool, str, float):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, int):
        value = int(value)
        return value if -BIG_INT < value < BIG_INT else {"int": hex(value)}
    for kind, tag in ((list, None), (tuple, "tuple"), (set, "set"), (frozenset, "frozenset")):
        if isinstance(value, kind):
            items = [encode(item, strict) for item in value]
            return items if tag is None else {tag: items}
    if isinstance(value, dict):
        return {"dict": [[encode(k, strict), encode(v, strict)] for k, v in dict(value).items()]}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, complex):
        return {"complex": [value.real, value.imag]}
    if strict:
        raise TypeError(f"the judge sends the program plain data only, not a {type(value).__name__}")
    return {"object": type(value).__name__}


class Opaque:
    """What the program returned that is not plain data: equal to nothing but itself."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:
        return f"<a {self.kind} object of the program's>"


def decode(tree):
    """encode's output back to values, which are plain data whatever the JSON held."""
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is list:
        return [decode(item) for item in tree]
    if type(tree) is dict and len(tree) == 1:
        (tag, inner), = tree.items()
        builders = {"tuple": lambda: tuple(decode(i) for i in inner), "set": lambda: {decode(i) for i in inner},
                    "frozenset": lambda: frozenset(decode(i) for i in inner),
                    "dict": lambda: {decode(k): decode(v) for k, v in inner},
                    "bytes": lambda: bytes.fromhex(inner), "int": lambda: int(inner, 16),
                    "complex": lambda: complex(float(inner[0]), float(inner[1])),
                    "object": lambda: Opaque(str(inner))}
        if tag in builders:
            return builders[tag]()
    raise ValueError("not plain data")


def text_of(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # a program's exception whose __str__ fails
        return ""


def describe(error: BaseException) -> str:
    """An exception as the last line of its traceback: "NameError: name 'x' is not defined"."""
    if isinstance(error, ProgramFault):
        return str(error)
    name, text = getattr(error, "raised_as", type(error).__name__), text_of(error)
    return f"{name}: {text}" if text else name
