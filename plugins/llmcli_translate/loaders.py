"""Reading parallel text the ways people keep it, into examples {"en": ..., "de": ...}
whose fields are language codes.

- Parallel files (the Multi30k and WMT layout): one sentence per line, NAME.LANG, plain
  or gzipped: train.de.gz and train.en.gz, val.de and val.en, test_2016_flickr.de...
  Line n of one file translates line n of the other.
- TSV (or CSV) with two columns. A header row naming the languages ("en<TAB>de", any
  order) or "source<TAB>target" says which column is which; a file without one holds the
  --src language in its first column and the --tgt language in its second.
- JSONL (or JSON): one object per line, fields named by language codes
  ({"de": ..., "en": ...}), or "source" and "target" (--src and --tgt).

Every error is one line that names the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from llmcli.datasets import SPLIT_NAMES
from llmcli.datasets.formats import read_text
from llmcli.errors import UserError

LANGUAGE = re.compile(r"^[a-z]{2,3}([-_][a-zA-Z]{2,4})?$")  # en, de, pt-BR, zh_Hans
NOT_LANGUAGES = {"txt", "gz", "md", "py", "csv", "tsv", "jsonl", "json", "zip", "tar", "bz2", "xz", "sh"}
GENERIC = ("source", "target")
# codes a header row of a table may name its columns with
KNOWN_CODES = set("ar bg cs da de el en es et fi fr ga he hi hr hu id it ja ko lt lv nl no pl pt ro ru sk sl "
                  "sv th tr uk vi zh".split())


def language_of(path: Path) -> tuple[str, str] | None:
    """("train", "de") for train.de or train.de.gz; None for files of other kinds."""
    name = path.name.removesuffix(".gz")
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or suffix in NOT_LANGUAGES or not LANGUAGE.match(suffix):
        return None
    return stem, suffix


def parallel_files(folder: Path) -> dict[str, dict[str, Path]]:
    """{name: {language: path}} of the parallel text files in a folder."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        parsed = language_of(path) if path.is_file() else None
        if parsed:
            found.setdefault(parsed[0], {})[parsed[1]] = path
    return found


def split_name(name: str, taken: set[str]) -> str:
    """train, validation (from val, valid, dev...) or test when the file's name is one of
    theirs and the split is still free; the file's own name otherwise."""
    for split, names in SPLIT_NAMES.items():
        if name in names and split not in taken:
            return split
    return name


def parallel_splits(folder: Path, src: str, tgt: str) -> dict[str, tuple[Path, Path]] | None:
    """{split: (source file, target file)}, or None when the folder holds no parallel files.
    The first of several test sets (test_2016_flickr, test_2017_mscoco) is the test split
    when there is no plain test file."""
    found = parallel_files(folder)
    if not found:
        return None
    pairs = {name: (langs[src], langs[tgt]) for name, langs in found.items() if src in langs and tgt in langs}
    if not pairs:
        languages = sorted({lang for langs in found.values() for lang in langs})
        missing = [lang for lang in (src, tgt) if lang not in languages]
        files = ", ".join(p.name for langs in found.values() for p in langs.values())
        what = f"no .{missing[0]} files" if missing else f"no NAME.{src} and NAME.{tgt} of the same NAME"
        raise UserError(f"{folder}: {what}; it has {files} (languages {', '.join(languages)}): "
                        "choose --src and --tgt among them")
    splits: dict[str, tuple[Path, Path]] = {}
    aliases = [alias for names in SPLIT_NAMES.values() for alias in names]  # validation before val
    for name in sorted(pairs, key=lambda n: (aliases.index(n) if n in aliases else len(aliases), n)):
        splits[split_name(name, set(splits))] = pairs[name]
    if "test" not in splits:
        tests = [s for s in splits if s.startswith("test")]
        if tests:
            splits["test"] = splits.pop(tests[0])
    order = {name: i for i, name in enumerate(SPLIT_NAMES)}
    return dict(sorted(splits.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))


def lines_of(path: Path) -> list[str]:
    """A file's lines (split at newlines only, as aligned corpora count them)."""
    text = read_text(path)
    if not text.strip():
        raise UserError(f"{path}: empty file: expected one sentence per line")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    return [line.rstrip("\r") for line in lines]


def read_parallel(source: Path, target: Path, src: str, tgt: str) -> list[dict]:
    """Examples from two aligned files; a pair with an empty side is left out."""
    sources, targets = lines_of(source), lines_of(target)
    if len(sources) != len(targets):
        short, long_ = (source, target) if len(sources) < len(targets) else (target, source)
        line = min(len(sources), len(targets)) + 1
        raise UserError(f"{long_}:{line}: no partner for this line in {short.name}, which has "
                        f"{line - 1:,} lines to this file's {max(len(sources), len(targets)):,}: "
                        "parallel files must match line for line")
    return [{src: s.strip(), tgt: t.strip()} for s, t in zip(sources, targets) if s.strip() and t.strip()]


def read_table(path: Path, src: str, tgt: str, delimiter: str) -> list[dict]:
    text = read_text(path)
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter, quoting=quoting))
    numbered = [(number, row) for number, row in enumerate(rows, 1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise UserError(f"{path}: empty file: expected two columns, {src} and {tgt}")
    header = [cell.strip() for cell in numbered[0][1]]
    if src in header and tgt in header:
        columns, numbered = (header.index(src), header.index(tgt)), numbered[1:]
    elif [h.lower() for h in header[:2]] == list(GENERIC):
        columns, numbered = (0, 1), numbered[1:]
    elif {src, tgt, *GENERIC} & set(header) or all(h in KNOWN_CODES for h in header):
        raise UserError(f"{path}:1: the header names {', '.join(header)}, not both {src} and {tgt}: "
                        "choose --src and --tgt among its columns")
    else:
        columns = (0, 1)  # no header: the --src language first, the --tgt language second
    examples = []
    for number, row in numbered:
        if len(row) <= max(columns):
            raise UserError(f"{path}:{number}: {len(row)} column where 2 are needed: "
                            f"a {src} sentence and its {tgt} translation, separated by "
                            f"{'a tab' if delimiter == chr(9) else 'a comma'}")
        examples.append({src: row[columns[0]].strip(), tgt: row[columns[1]].strip()})
    return examples


def read_json_lines(path: Path, src: str, tgt: str) -> list[dict]:
    from llmcli.datasets.formats import json_records, jsonl_records

    text = read_text(path)
    json_file = path.name.lower().removesuffix(".gz").endswith(".json")
    records = json_records(path, text) if json_file else jsonl_records(path, text)
    examples = [pair_of(record, where, src, tgt) for where, record in records]
    if not examples:
        raise UserError(f"{path}: empty file: expected one JSON object per line with {src} and {tgt} fields")
    return examples


def pair_of(record, where: str, src: str, tgt: str) -> dict:
    if not isinstance(record, dict):
        raise UserError(f"{where}: expected an object with {src} and {tgt} fields, e.g. "
                        f'{json.dumps({src: "...", tgt: "..."})}')
    if src not in record and tgt not in record and all(name in record for name in GENERIC):
        record = {**record, src: record["source"], tgt: record["target"]}
    missing = [name for name in (src, tgt) if not isinstance(record.get(name), str)]
    if missing:
        has = ", ".join(repr(name) for name in record) or "none"
        raise UserError(f"{where}: no {missing[0]!r} text (fields: {has}): name fields by language "
                        f"code, or source and target; --src and --tgt choose the languages")
    return {**record, src: record[src].strip(), tgt: record[tgt].strip()}


def read_any(path: Path, src: str, tgt: str) -> list[dict]:
    """A single file of pairs: TSV, CSV, JSONL or JSON, maybe gzipped."""
    path = Path(path)
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".json")):
        return read_json_lines(path, src, tgt)
    if name.endswith(".tsv"):
        return read_table(path, src, tgt, "\t")
    if name.endswith(".csv"):
        return read_table(path, src, tgt, ",")
    parsed = language_of(path)
    if parsed:
        raise UserError(f"{path} is one side of a parallel corpus: give the folder that holds "
                        f"{parsed[0]}.{src} and {parsed[0]}.{tgt} (--data FOLDER)")
    raise UserError(f"{path}: unknown format: use a folder of parallel files (train.{src}, train.{tgt}), "
                    ".tsv, .csv, .jsonl or .json (optionally .gz)")
