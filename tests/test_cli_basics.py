"""The command line without training: help, version, fast start, no torch on listings."""

from __future__ import annotations

import json
import subprocess
import sys

from cli_helpers import run

from llmcli import __version__


def python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_help_and_listings_do_not_import_torch(llmcli_home):
    for args in (["--help"], ["models"], ["models", "--json"], ["train", "--help"], ["generate", "--help"]):
        out = python(
            "import sys\n"
            "from llmcli.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')"
        )
        assert out.strip().endswith("NO-TORCH"), (args, out)


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_python_dash_m_works():
    out = subprocess.run([sys.executable, "-m", "llmcli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "train" in out.stdout


def test_models_empty(llmcli_home):
    result = run("models", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == []
