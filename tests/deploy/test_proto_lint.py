"""The contracts pass buf's STANDARD lint and are formatted as `buf format` writes them.

buf is the pinned one from npm (deploy/local/tools.py). Breaking-change checks (FILE level,
proto/buf.yaml) need a baseline to compare against: there is no published release of the
contracts yet, so `buf breaking` is not run here. Once v1 is released, run it against the
release tag: `buf breaking proto --against '.git#tag=<tag>,subdir=proto'`.
"""

import subprocess

import pytest

from deploy.local import tools

PROTO = tools.ROOT / "proto"


@pytest.fixture(scope="module")
def buf():
    return tools.ensure_buf()


def run(buf, *args):
    return subprocess.run(
        [str(buf), *args], cwd=PROTO, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )


def test_buf_is_the_pinned_version(buf):
    assert run(buf, "--version").stdout.strip() == tools.BUF_VERSION


def test_protos_pass_buf_lint(buf):
    done = run(buf, "lint")
    assert (done.returncode, done.stdout + done.stderr) == (0, ""), "buf lint findings:\n" + done.stdout


def test_protos_are_buf_formatted(buf):
    done = run(buf, "format", "--diff", "--exit-code")
    assert (done.returncode, done.stdout) == (0, ""), "run 'buf format -w' in proto/:\n" + done.stdout
