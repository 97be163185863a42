"""Datasets: the standard file formats, errors that name the file and line, folders and
single files, generated data, and downloads checked against their sha256."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import json
import os
import threading
from pathlib import Path

import pytest

from llmcli.datasets import WHOLE, DownloadDataset, FileDataset, GeneratedDataset, Remote
from llmcli.datasets.resolve import evaluation_split, resolve_dataset, training_splits
from llmcli.errors import UserError
from llmcli.tasks import Task

SHARED_DATA = Path(os.environ.get("LLMCLI_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")


class Pairs(Task):
    name = "pairs"
    fields = ("input", "output")


class Sentiment(Task):
    name = "sentiment"
    head = "classify"
    fields = ("sentence", "label")
    prompt = "{sentence}"


TASK = Pairs()
ROWS = [{"input": "one", "output": "1"}, {"input": "two, three", "output": "2"}, {"input": "héllo", "output": "4"}]


def write_jsonl(path: Path, rows=ROWS) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_delimited(path: Path, rows=ROWS, sep="\t") -> Path:
    lines = [sep.join(rows[0])] + [sep.join(r.values()) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- formats -----------------------------------------------------------------------------


def test_jsonl(tmp_path):
    assert TASK.read_file(write_jsonl(tmp_path / "d.jsonl")) == ROWS


def test_jsonl_skips_blank_lines_and_keeps_line_numbers(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"input": "a", "output": "b"}\n\n   \n{"input": "c"}\n', encoding="utf-8")
    with pytest.raises(UserError) as err:
        TASK.read_file(path)
    assert f"{path}:4: missing field 'output'" in str(err.value)
    assert "needs input, output" in str(err.value)


def test_json_list_and_data_object(tmp_path):
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(ROWS), encoding="utf-8")
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"version": 2, "data": ROWS}), encoding="utf-8")
    assert TASK.read_file(listed) == ROWS
    assert TASK.read_file(wrapped) == ROWS


def test_json_of_the_wrong_shape(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"rows": ROWS}), encoding="utf-8")
    with pytest.raises(UserError, match='a JSON list of examples, or an object with a "data" list'):
        TASK.read_file(path)
    path.write_text(json.dumps([ROWS[0], "just a string"]), encoding="utf-8")
    with pytest.raises(UserError, match=r"item 1: expected an object with fields input, output"):
        TASK.read_file(path)


def test_tsv_and_csv_with_header(tmp_path):
    assert TASK.read_file(write_delimited(tmp_path / "d.tsv")) == ROWS
    csv_path = tmp_path / "d.csv"
    csv_path.write_text('input,output\none,1\n"two, three",2\nhéllo,4\n', encoding="utf-8")
    assert TASK.read_file(csv_path) == ROWS


def test_tsv_keeps_quotes_and_extra_columns(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text('output\tinput\tnote\n1\tsay "hi\tx\n', encoding="utf-8")
    assert TASK.read_file(path) == [{"output": "1", "input": 'say "hi', "note": "x"}]


def test_crlf_and_bom(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_bytes(b"\xef\xbb\xbfinput\toutput\r\none\t1\r\n")
    assert TASK.read_file(path) == [{"input": "one", "output": "1"}]
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"input": "one", "output": "1"}\r\n')
    assert TASK.read_file(path) == [{"input": "one", "output": "1"}]


@pytest.mark.parametrize("kind", ["jsonl", "json", "tsv", "csv"])
def test_gzipped(tmp_path, kind):
    plain = tmp_path / f"d.{kind}"
    if kind == "jsonl":
        write_jsonl(plain)
    elif kind == "json":
        plain.write_text(json.dumps(ROWS), encoding="utf-8")
    elif kind == "tsv":
        write_delimited(plain)
    else:
        plain.write_text('input,output\none,1\n"two, three",2\nhéllo,4\n', encoding="utf-8")
    packed = tmp_path / f"d.{kind}.GZ"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert TASK.read_file(packed) == ROWS


def test_not_gzip(tmp_path):
    path = tmp_path / "d.jsonl.gz"
    path.write_text('{"input": "a", "output": "b"}\n')
    with pytest.raises(UserError, match="not a valid gzip file"):
        TASK.read_file(path)


# -- errors name the file and the line ------------------------------------------------------


def test_bad_json_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"input": "a", "output": "b"}\n{"input": "a", "output": }\n', encoding="utf-8")
    with pytest.raises(UserError) as err:
        TASK.read_file(path)
    message = str(err.value)
    assert message.startswith(f"{path}:2: not valid JSON")
    assert "\n" not in message


def test_bad_json_file_names_the_line(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('[\n {"input": "a", "output": "b"},\n {"input": \n]\n', encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{path}:4: not valid JSON"):
        TASK.read_file(path)


def test_missing_field(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("input\tanswer\na\tb\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        TASK.read_file(path)
    assert str(err.value) == f"{path}:2: missing field 'output' (task pairs needs input, output)"


def test_wrong_column_count(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("input\toutput\na\tb\n\nc\td\te\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        TASK.read_file(path)
    assert str(err.value) == f"{path}:4: 3 columns where the header has 2"


def test_csv_line_numbers_count_quoted_newlines(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('input,output\n"a\nb",1\nc\n', encoding="utf-8")
    with pytest.raises(UserError, match=rf"^{path}:4: 1 columns where the header has 2"):
        TASK.read_file(path)


@pytest.mark.parametrize("suffix", [".jsonl", ".tsv", ".jsonl.gz"])
def test_non_utf8_byte_names_the_line(tmp_path, suffix):
    data = '{"input": "a", "output": "b"}\n{"input": "c", "output": "d"}\n'.encode() + b'{"input": "caf\xe9"}\n'
    if suffix == ".tsv":
        data = b"input\toutput\na\tb\nc\td\ncaf\xe9\tx\n"
    path = tmp_path / f"d{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    with pytest.raises(UserError) as err:
        TASK.read_file(path)
    line = 3 if suffix != ".tsv" else 4
    assert str(err.value).startswith(f"{path}:{line}: not UTF-8 text (byte 0xe9)"), str(err.value)


def test_non_utf8_byte_after_a_bom_names_the_line(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"input": "a", "output": "b"}\n\xff\n')
    with pytest.raises(UserError) as err:
        TASK.read_file(path)
    assert str(err.value).startswith(f"{path}:2: not UTF-8 text (byte 0xff)"), str(err.value)


def test_jsonl_with_unicode_line_separators_in_strings(tmp_path):
    rows = [{"input": "a\u2028b", "output": "c\x85d"}, {"input": "e\x1cf", "output": "g"}]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    assert TASK.read_file(path) == rows


def test_empty_files(tmp_path):
    for name in ("d.tsv", "d.csv"):
        path = tmp_path / name
        path.write_text("")
        with pytest.raises(UserError, match=rf"^{path}: empty file"):
            TASK.read_file(path)
    path = tmp_path / "d.jsonl"
    path.write_text("\n\n")
    with pytest.raises(UserError, match=rf"^{path}: no examples in it"):
        FileDataset("d", "pairs", path).load(TASK, WHOLE)
    header_only = tmp_path / "h.tsv"
    header_only.write_text("input\toutput\n")
    with pytest.raises(UserError, match="no examples in it"):
        FileDataset("h", "pairs", header_only).load(TASK, WHOLE)
    path = tmp_path / "d.json"
    path.write_text("")
    with pytest.raises(UserError, match=rf"^{path}"):
        TASK.read_file(path)


@pytest.mark.parametrize("name", ["d.txt", "d.parquet", "d.gz", "jsonl"])
def test_unknown_extension(tmp_path, name):
    path = tmp_path / name
    path.write_text("input\toutput\n")
    with pytest.raises(UserError) as err:
        TASK.read_file(path)
    assert str(err.value) == f"{path}: unknown format: use .jsonl, .json, .tsv or .csv (optionally .gz)"


def test_missing_file_and_folder_given_as_file(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        TASK.read_file(tmp_path / "nope.jsonl")
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(UserError, match="is not a file"):
        TASK.read_file(tmp_path / "dir.jsonl")


# -- file datasets -----------------------------------------------------------------------------


def rows(prefix: str, n: int) -> list[dict]:
    return [{"input": f"{prefix}{i}", "output": str(i)} for i in range(n)]


def test_folder_of_splits(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", rows("t", 10))
    write_delimited(folder / "val.tsv", rows("v", 3))
    (folder / "test.jsonl.gz").write_bytes(gzip.compress(json.dumps(rows("x", 2)[0]).encode() + b"\n"))
    (folder / "notes.txt").write_text("not a split")
    dataset = FileDataset("data", "pairs", folder)
    assert dataset.split_names(TASK) == ["train", "validation", "test"]
    assert dataset.load(TASK, "train") == rows("t", 10)
    assert dataset.load(TASK, "validation") == rows("v", 3)
    assert dataset.load(TASK, "test") == rows("x", 1)
    with pytest.raises(UserError, match="dataset data has no 'dev' split: it has train, validation, test"):
        dataset.load(TASK, "dev")
    train, validation = training_splits(TASK, dataset)
    assert (train, validation) == (rows("t", 10), rows("v", 3))
    assert evaluation_split(TASK, dataset, "test") == ("test", rows("x", 1))
    # what a user types for the validation split, as its files are named
    for alias in ("val", "valid", "dev", "validation"):
        assert evaluation_split(TASK, dataset, alias) == ("validation", rows("v", 3))


def test_validation_file_names_in_order(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", rows("t", 4))
    write_jsonl(folder / "dev.jsonl", rows("d", 2))
    write_jsonl(folder / "validation.jsonl", rows("v", 2))
    assert FileDataset("data", "pairs", folder).load(TASK, "validation") == rows("v", 2)


def test_folder_without_split_files(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "examples.jsonl").write_text("{}\n")
    with pytest.raises(UserError, match="no split files in it"):
        FileDataset("data", "pairs", folder).split_names(TASK)
    with pytest.raises(UserError, match="no such file or folder"):
        FileDataset("gone", "pairs", tmp_path / "gone").split_names(TASK)


def test_single_file_is_one_split(tmp_path):
    path = write_jsonl(tmp_path / "all.jsonl", rows("a", 40))
    dataset = FileDataset("all", "pairs", path)
    assert dataset.split_names(TASK) == [WHOLE]
    # a file has no validation split: the end of it is held out (5%)
    train, validation = training_splits(TASK, dataset)
    assert train == rows("a", 40)[:38] and validation == rows("a", 40)[38:]
    # evaluated whole, whatever split is asked for
    assert evaluation_split(TASK, dataset, "test") == (WHOLE, rows("a", 40))


def test_training_splits_hold_out_at_least_one_and_at_most_500(tmp_path):
    small = FileDataset("s", "pairs", write_jsonl(tmp_path / "s.jsonl", rows("s", 3)))
    train, validation = training_splits(TASK, small)
    assert len(train) == 2 and len(validation) == 1
    big = GeneratedDataset("big", "pairs", lambda split, n, seed: rows("b", n), {"train": 20_000})
    train, validation = training_splits(TASK, big)
    assert len(train) == 19_500 and len(validation) == 500
    assert validation[0] == {"input": "b19500", "output": "19500"}
    one = FileDataset("one", "pairs", write_jsonl(tmp_path / "one.jsonl", rows("o", 1)))
    with pytest.raises(UserError, match="too few to train on"):
        training_splits(TASK, one)
    only_test = GeneratedDataset("t", "pairs", lambda split, n, seed: rows("t", n), {"test": 5})
    with pytest.raises(UserError, match="has no training split: it has test"):
        training_splits(TASK, only_test)


# -- generated datasets --------------------------------------------------------------------------


def generate(split, count, seed):
    import random

    rng = random.Random(f"{seed}-{split}")
    return [{"input": str(rng.random()), "output": split} for _ in range(count)]


def test_generated_dataset_is_deterministic():
    sizes = {"train": 30, "validation": 5, "test": 5}
    a = GeneratedDataset("g", "pairs", generate, sizes)
    b = GeneratedDataset("g", "pairs", generate, sizes)
    assert a.split_names(TASK) == ["train", "validation", "test"]
    assert a.declared_sizes() == sizes
    assert a.load(TASK, "train") == b.load(TASK, "train")
    assert len(a.load(TASK, "test")) == 5
    assert GeneratedDataset("g", "pairs", generate, sizes, seed=1).load(TASK, "train") != a.load(TASK, "train")
    assert a.location() == "generated (seed 0)"
    with pytest.raises(UserError, match="has no 'dev' split"):
        a.load(TASK, "dev")


def test_generated_examples_are_checked():
    bad = GeneratedDataset("bad", "pairs", lambda split, n, seed: [{"input": "x"}] * n, {"train": 2})
    with pytest.raises(UserError, match=r"dataset bad \(train #0\): missing field 'output'"):
        bad.load(TASK, "train")


# -- resolve_dataset -------------------------------------------------------------------------------


@pytest.fixture
def registered(monkeypatch):
    """A task and two datasets registered in-process (LLMCLI_LOAD_PLUGINS keeps others out)."""
    import types

    from llmcli import hookimpl, plugins

    module = types.ModuleType("dataset_test_plugin")

    class Other(Task):
        name = "other"

    @hookimpl
    def register_tasks(register):
        register(Pairs())
        register(Other())

    @hookimpl
    def register_datasets(register):
        register(GeneratedDataset("pairs-gen", "pairs", generate, {"train": 4}))
        register(GeneratedDataset("other-gen", "other", generate, {"train": 4}))

    module.register_tasks, module.register_datasets = register_tasks, register_datasets
    monkeypatch.setenv("LLMCLI_LOAD_PLUGINS", "")
    plugins.reset()
    plugins.get_plugins().add(module, plugins.PluginInfo("dstest", "dstest", "1.0", builtin=False))
    yield
    plugins.reset()


def test_resolve_dataset(registered, tmp_path, monkeypatch):
    assert resolve_dataset(TASK, "pairs-gen").name == "pairs-gen"
    with pytest.raises(UserError) as err:
        resolve_dataset(TASK, "other-gen")
    assert str(err.value) == "dataset other-gen is for task other, not pairs"
    with pytest.raises(UserError) as err:
        resolve_dataset(TASK, "pairs-gem")
    assert "no dataset named 'pairs-gem' and no such file or folder" in str(err.value)
    assert "llmcli data list pairs" in str(err.value)
    with pytest.raises(UserError, match="task pairs has no default dataset"):
        resolve_dataset(TASK, None)
    path = write_jsonl(tmp_path / "mine.jsonl")
    monkeypatch.chdir(tmp_path)
    dataset = resolve_dataset(TASK, "mine.jsonl")
    assert isinstance(dataset, FileDataset) and dataset.task == "pairs"
    assert dataset.load(TASK, WHOLE) == ROWS and dataset.path.resolve() == path


# -- downloads ------------------------------------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class Server:
    """http.server on 127.0.0.1 serving a folder from a thread; counts the GET requests."""

    def __init__(self, folder: Path):
        server = self

        class Counting(QuietHandler):
            def do_GET(self):
                server.requests += 1
                super().do_GET()

        self.requests = 0
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Counting, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.stopped = False

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def serve(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    servers = []

    def start(folder: Path) -> Server:
        servers.append(Server(folder))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_files(llmcli_home: Path, name: str) -> list[str]:
    folder = llmcli_home / "datasets" / name
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_then_cache(serve, tmp_path, llmcli_home):
    remote = tmp_path / "remote"
    remote.mkdir()
    train = write_jsonl(remote / "train.jsonl", rows("t", 5))
    test = write_delimited(remote / "test.tsv", rows("x", 2))
    server = serve(remote)
    dataset = DownloadDataset("dl", "pairs", {
        "train": Remote(f"{server.url}/train.jsonl", sha256(train)),
        "test": Remote(f"{server.url}/test.tsv", sha256(test), filename="renamed-test.tsv"),
    })
    assert dataset.split_names(TASK) == ["train", "test"]
    assert dataset.cache_dir() == llmcli_home / "datasets" / "dl"
    assert dataset.load(TASK, "train") == rows("t", 5)
    assert dataset.load(TASK, "test") == rows("x", 2)
    assert cache_files(llmcli_home, "dl") == ["renamed-test.tsv", "train.jsonl"]
    assert (llmcli_home / "datasets" / "dl" / "train.jsonl").read_bytes() == train.read_bytes()
    assert server.requests == 2
    assert server.url in dataset.location()

    dataset.load(TASK, "train")
    assert server.requests == 2  # the cache, not the server
    server.stop()
    again = DownloadDataset("dl", "pairs", dataset.files)
    assert again.load(TASK, "train") == rows("t", 5)
    # a split without the validation file: training holds out the end of train
    train_part, validation = training_splits(TASK, again)
    assert len(train_part) == 4 and len(validation) == 1


def test_download_with_a_wrong_sha256_keeps_nothing(serve, tmp_path, llmcli_home):
    remote = tmp_path / "remote"
    remote.mkdir()
    write_jsonl(remote / "train.jsonl")
    server = serve(remote)
    dataset = DownloadDataset("bad", "pairs", {"train": Remote(f"{server.url}/train.jsonl", "0" * 64)})
    with pytest.raises(UserError) as err:
        dataset.load(TASK, "train")
    message = str(err.value)
    assert "\n" not in message
    assert f"{server.url}/train.jsonl" in message and "0" * 64 in message and "it was not kept" in message
    assert cache_files(llmcli_home, "bad") == []  # no file, no .part file


def test_download_404_is_one_line(serve, tmp_path, llmcli_home):
    remote = tmp_path / "remote"
    remote.mkdir()
    server = serve(remote)
    dataset = DownloadDataset("gone", "pairs", {"train": Remote(f"{server.url}/nope.jsonl", "0" * 64)})
    with pytest.raises(UserError) as err:
        dataset.load(TASK, "train")
    assert str(err.value) == f"could not download {server.url}/nope.jsonl: the server answered 404 File not found"
    assert cache_files(llmcli_home, "gone") == []


def test_download_refused_connection_and_bad_scheme(tmp_path, llmcli_home, monkeypatch, serve):
    remote = tmp_path / "remote"
    remote.mkdir()
    server = serve(remote)
    url = f"{server.url}/train.jsonl"
    server.stop()
    with pytest.raises(UserError, match=r"could not download .*check the address and your connection"):
        DownloadDataset("off", "pairs", {"train": Remote(url, "0" * 64)}).load(TASK, "train")
    with pytest.raises(UserError, match="only http:// and https:// addresses are supported"):
        DownloadDataset("ftp", "pairs", {"train": Remote("ftp://example.org/x.jsonl", "0" * 64)}).load(TASK, "train")
    assert cache_files(llmcli_home, "off") == [] and cache_files(llmcli_home, "ftp") == []


def test_corrupted_cache_is_downloaded_again(serve, tmp_path, llmcli_home):
    remote = tmp_path / "remote"
    remote.mkdir()
    train = write_jsonl(remote / "train.jsonl", rows("t", 3))
    server = serve(remote)
    dataset = DownloadDataset("fix", "pairs", {"train": Remote(f"{server.url}/train.jsonl", sha256(train))})
    assert dataset.load(TASK, "train") == rows("t", 3)
    cached = llmcli_home / "datasets" / "fix" / "train.jsonl"
    cached.write_text('{"input": "tampered", "output": "x"}\n')
    assert dataset.load(TASK, "train") == rows("t", 3)
    assert server.requests == 2
    assert cached.read_bytes() == train.read_bytes()
    assert cache_files(llmcli_home, "fix") == ["train.jsonl"]


def test_download_real_sst2_part(serve, llmcli_home):
    folder = SHARED_DATA
    source = folder / "sentiment" / "sst2" / "dev-part-a.tsv"
    if not source.is_file():
        pytest.skip(f"{source} is absent (the shared data sets are not beside this checkout)")
    server = serve(folder)
    dataset = DownloadDataset("sst2-part", "sentiment", {
        "test": Remote(f"{server.url}/sentiment/sst2/dev-part-a.tsv", sha256(source)),
    })
    task = Sentiment()
    examples = dataset.load(task, "test")
    assert len(examples) == 436
    assert {e["label"] for e in examples} == {"0", "1"}
    assert all(e["sentence"].strip() for e in examples)
    assert evaluation_split(task, dataset, "test")[1] == examples
    assert (llmcli_home / "datasets" / "sst2-part" / "dev-part-a.tsv").read_bytes() == source.read_bytes()
