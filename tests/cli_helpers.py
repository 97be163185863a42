"""Running llmcli's CLI in-process in tests, and what its results must look like."""

from __future__ import annotations

from click.testing import CliRunner

from llmcli.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result, *fragments):
    """Exit status 1, no traceback, and one `Error` line on stderr holding every fragment."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
