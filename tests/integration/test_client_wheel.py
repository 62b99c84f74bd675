"""The typed client (`make client`): built into a wheel, installed in a fresh virtual environment that
has nothing of the repository, and used by the worked example of each service against the running
platform, as a department's system would (clients/python/examples).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from deploy.local.client_wheel import CLIENT, build

pytestmark = pytest.mark.integration
EXAMPLES = CLIENT / "examples"
# The service each example calls and who calls it (demo users of deploy/local/keycloak.py).
CALLS = {
    "org": ("zgov.org.v1.OrgService", "mayor"),
    "meetings": ("zgov.meetings.v1.MeetingsService", "mayor"),
    "documents": ("zgov.documents.v1.DocumentsService", "office-staff"),
    "disclosure": ("zgov.disclosure.v1.PublicationService", "disclosure-officer"),
    "petitions": ("zgov.petitions.v1.PetitionsService", "petition-officer"),
    "supervision": ("zgov.supervision.v1.SupervisionService", "supervision-officer"),
    "notify": ("zgov.notify.v1.NotifyService", "mayor"),
}


@pytest.fixture(scope="module")
def client_python(tmp_path_factory) -> Path:
    """A fresh venv with only the wheel and its declared dependencies (from the package index)."""
    root = tmp_path_factory.mktemp("client")
    wheel = build(root / "dist")
    venv.create(root / "venv", with_pip=True)
    python = root / "venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        timeout=600,
    )
    return python


def test_the_wheel_carries_every_service_and_no_repository_code(client_python):
    probe = (
        "import importlib, zgov_client;"
        "[importlib.import_module(f'zgov.{s}.v1.{m}_pb2_grpc') for s, m in "
        "[('org','org'),('meetings','meetings'),('documents','documents'),('disclosure','publications'),"
        "('petitions','petitions'),('supervision','supervision'),('notify','notify')]];"
        "import importlib.util as u; print(u.find_spec('services'), u.find_spec('shared'))"
    )
    done = subprocess.run(
        [str(client_python), "-c", probe], capture_output=True, text=True, cwd="/", env=_clean_environment()
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None None"


def test_examples_cover_every_service():
    assert {p.stem for p in EXAMPLES.glob("[!_]*.py")} == set(CALLS)


def _clean_environment(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, **extra}


def _run_example(python: Path, name: str, target: str, token: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), str(EXAMPLES / f"{name}.py")],
        capture_output=True,
        text=True,
        cwd=EXAMPLES,
        timeout=120,
        env=_clean_environment(ZGOV_TARGET=target, ZGOV_TOKEN=token),
    )


async def test_each_worked_example_calls_its_service_through_the_installed_wheel(
    client_python, whole_platform, keycloak
):
    expected = {
        "org": "mayor: ",
        "meetings": "executive meetings",
        "documents": "documents overdue",
        "disclosure": "'教育': ",
        "petitions": "cases by month",
        "supervision": "open items",
        "notify": "my preferences",
    }
    for name, (service, user) in CALLS.items():
        done = await asyncio.to_thread(
            _run_example, client_python, name, whole_platform.address_of(service), keycloak.token_for(user)
        )
        assert done.returncode == 0, f"{name}: {done.stderr[-2000:]}"
        assert expected[name] in done.stdout, f"{name}: {done.stdout}"
    org = await asyncio.to_thread(
        _run_example,
        client_python,
        "org",
        whole_platform.address_of(CALLS["org"][0]),
        keycloak.token_for("mayor"),
    )
    assert "'emperor' → INVALID_ARGUMENT" in org.stdout  # the refusal explained through the client's helper


def test_without_a_token_the_example_says_what_to_set(client_python):
    done = subprocess.run(
        [str(client_python), str(EXAMPLES / "org.py")],
        capture_output=True,
        text=True,
        cwd=EXAMPLES,
        env=_clean_environment(),
    )
    assert done.returncode == 1 and "set ZGOV_TARGET" in done.stderr
    assert sys.executable != str(client_python)
