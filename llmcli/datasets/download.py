"""Downloading a dataset file into the cache, checked against its sha256.

The file is streamed into a temporary file beside its final place and renamed only once
its checksum matches, so the cache never holds a partial or wrong file under the real name.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from llmcli.errors import UserError
from llmcli.files import sha256_of  # noqa: F401  (imported from here by the importer and tests)

CHUNK = 1 << 16
TIMEOUT_S = 30


def fetch(remote, cache_dir: Path) -> Path:
    """The cached file for `remote` (a datasets.Remote), downloading it if needed."""
    name = remote.filename or remote.url.rstrip("/").rsplit("/", 1)[-1] or "data"
    target = cache_dir / name
    if target.is_file():
        if sha256_of(target) == remote.sha256:
            return target
        target.unlink()  # damaged or from an older version: fetch it again
    cache_dir.mkdir(parents=True, exist_ok=True)
    print(f"Downloading {remote.url} ...", file=sys.stderr)
    fd, tmp_name = tempfile.mkstemp(dir=cache_dir, prefix=f".{name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, open_url(remote.url) as response:
            try:
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
            except OSError as exc:  # the connection dropped or timed out mid-file
                raise UserError(f"the download of {remote.url} broke off ({exc}): try again") from None
        if digest.hexdigest() != remote.sha256:
            raise UserError(
                f"the file downloaded from {remote.url} has sha256 {digest.hexdigest()}, not the expected "
                f"{remote.sha256}: the file at that address changed or the download was damaged; it was not kept"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def open_url(url: str):
    if not url.startswith(("http://", "https://")):
        raise UserError(f"cannot download {url}: only http:// and https:// addresses are supported")
    try:
        return urllib.request.urlopen(url, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        raise UserError(f"could not download {url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"could not download {url} ({reason}): check the address and your connection") from None
