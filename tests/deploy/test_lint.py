"""`make lint-python` (part of `make lint`) fails on a ruff finding and on an import across the
architecture's lines, and passes on the clean code.

Each case plants one fault in a temporary copy of what the tools read (the Makefile, the lint
settings, services/ and shared/) and runs the Makefile's own target there, with this checkout's
virtual environment: the check under test is the one CI runs, not a re-statement of it.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
COPIED_FILES = ("Makefile", "pyproject.toml", ".importlinter", "requirements.txt", "requirements-lint.txt")
COPIED_TREES = ("services", "shared")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "fonts", "static", "templates")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in COPIED_FILES:
        shutil.copy2(ROOT / name, tmp_path / name)  # keeps the times: make sees the tools as installed
    for tree in COPIED_TREES:
        shutil.copytree(ROOT / tree, tmp_path / tree, ignore=IGNORED)
    return tmp_path


def make_lint(where: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ""}  # the copy, not this checkout, is what lint-imports reads
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(where), "lint-python", f"VENV={VENV}"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        timeout=300,
    )


def plant(where: Path, path: str, text: str) -> None:
    target = where / path
    target.write_text(target.read_text() + "\n" + text + "\n") if target.exists() else target.write_text(text)


def test_clean_code_passes(copy):
    done = make_lint(copy)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_ruff_finding_fails(copy):
    plant(copy, "shared/planted.py", '"""Planted."""\n\nimport os\n')
    done = make_lint(copy)
    assert done.returncode != 0
    assert "F401" in done.stdout + done.stderr and "shared/planted.py" in done.stdout + done.stderr


def test_one_service_importing_another_fails(copy):
    plant(
        copy,
        "services/petitions/planted.py",
        '"""Planted."""\n\nfrom services.documents import domain  # noqa: F401\n',
    )
    done = make_lint(copy)
    assert done.returncode != 0
    assert "services.petitions is not allowed to import services.documents" in done.stdout


def test_shared_importing_a_service_fails(copy):
    plant(copy, "shared/planted.py", '"""Planted."""\n\nfrom services.org import domain  # noqa: F401\n')
    done = make_lint(copy)
    assert done.returncode != 0
    assert "shared/ imports no service BROKEN" in done.stdout.replace("\n", " ")


def test_an_upward_import_inside_a_service_fails(copy):
    """meetings: the rules (domain) must not reach up to the acts or the wire."""
    plant(
        copy,
        "services/meetings/domain/planted.py",
        '"""Planted."""\n\nfrom services.meetings import acts  # noqa: F401\n',
    )
    done = make_lint(copy)
    assert done.returncode != 0
    assert "services.meetings.domain.planted -> services.meetings.acts" in done.stdout
