"""A real Kubernetes control plane on loopback, without a container engine, for the chart's tests.

What runs (all built from the Go module proxy with the machine's Go, once, into a cache OUTSIDE
the checkout so that fresh clones on the same machine, CI's among them, reuse the binaries):
- etcd (its server module, linked into a two-line main of our own: the etcd root module's
  replace directives make `go install` refuse it);
- kube-apiserver, kube-controller-manager and kube-scheduler from the k8s.io/kubernetes module
  copy, with each staging module pinned instead of its ./staging replace (`go mod edit
  -dropreplace=k8s.io/X -require=k8s.io/X@v0.34.N`), and the version stamped with -ldflags (a
  v0.0.0 server fails helm's kubeVersion check);
- kwok, which plays the kubelet: it marks a fake node Ready, pods Running and Ready, and the
  pods of a Job Succeeded. No container runs: images, probes, volumes and network policies are
  accepted by the API server but never exercised.

    python -m deploy.local.kube build     build what is missing (20-40 minutes of CPU the first time)
    python -m deploy.local.kube paths     print the binaries' paths (fails when one is missing)

The cache is $ZGOV_KUBE_CACHE or ~/.cache/zgov/k8s/v<version>/bin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import fasteners

KUBERNETES_VERSION = "1.34.4"
# The staging modules (k8s.io/api, apiserver, client-go ...) of that release.
STAGING_VERSION = "0.34.4"
ETCD_VERSION = "3.6.17"
KWOK_VERSION = "0.7.0"
CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
BINARIES = ("etcd", *CONTROL_PLANE, "kwok")


class BuildError(RuntimeError):
    """A binary could not be built: the message carries the end of Go's output."""


def cache_dir() -> Path:
    configured = os.environ.get("ZGOV_KUBE_CACHE")
    base = Path(configured) if configured else Path.home() / ".cache" / "zgov" / "k8s"
    return base / f"v{KUBERNETES_VERSION}" / "bin"


def binary(name: str) -> Path:
    return cache_dir() / name


def missing() -> list[str]:
    return [name for name in BINARIES if not binary(name).exists()]


def _go() -> str:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        raise BuildError("Go is missing: install Go 1.24 or later to build the control plane.")
    return go


def _go_env() -> dict[str, str]:
    # Module mode outside any workspace; modules missing from go.mod are added (the pinned staging).
    return {**os.environ, "GOWORK": "off", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["nice", "-n", "10", *cmd],
        cwd=cwd,
        env=_go_env(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise BuildError(f"{' '.join(cmd[:3])} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _module_copy(module: str, version: str, into: Path) -> Path:
    """A writable copy of a module from the Go module cache (downloaded from the proxy)."""
    info = json.loads(_run([_go(), "mod", "download", "-json", f"{module}@{version}"]))
    source = into / "src"
    shutil.copytree(info["Dir"], source)
    for path in [source, *source.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    return source


def _pin_staging(source: Path) -> None:
    """Replace every ./staging/src replace by a requirement of the published staging module.

    The module zip leaves the staging folders out (each is its own module), so the replaces point
    at nothing; the published k8s.io/X@v0.34.N are the same code.
    """
    module = json.loads(_run([_go(), "mod", "edit", "-json"], cwd=source))
    edits = [
        arg
        for replace in module.get("Replace") or []
        if replace["New"]["Path"].startswith("./staging")
        for arg in (
            f"-dropreplace={replace['Old']['Path']}",
            f"-require={replace['Old']['Path']}@v{STAGING_VERSION}",
        )
    ]
    _run([_go(), "mod", "edit", *edits], cwd=source)


def _version_flags() -> str:
    major, minor, _ = KUBERNETES_VERSION.split(".")
    stamp = "k8s.io/component-base/version"
    return " ".join(
        [
            "-s",
            "-w",
            f"-X {stamp}.gitVersion=v{KUBERNETES_VERSION}",
            f"-X {stamp}.gitMajor={major}",
            f"-X {stamp}.gitMinor={minor}",
            f"-X {stamp}.gitTreeState=clean",
        ]
    )


def build_control_plane(work: Path) -> None:
    source = _module_copy("k8s.io/kubernetes", f"v{KUBERNETES_VERSION}", work)
    _pin_staging(source)
    _run(
        [
            _go(),
            "build",
            "-trimpath",
            "-ldflags",
            _version_flags(),
            "-o",
            f"{cache_dir()}/",
            *[f"./cmd/{name}" for name in CONTROL_PLANE],
        ],
        cwd=source,
    )


ETCD_MAIN = """package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"""


def build_etcd(work: Path) -> None:
    source = work / "etcd"
    source.mkdir()
    (source / "main.go").write_text(ETCD_MAIN)
    _run([_go(), "mod", "init", "zgov.invalid/etcd"], cwd=source)
    _run([_go(), "get", f"go.etcd.io/etcd/server/v3@v{ETCD_VERSION}"], cwd=source)
    _run([_go(), "build", "-trimpath", "-ldflags", "-s -w", "-o", str(binary("etcd")), "."], cwd=source)


def build_kwok(work: Path) -> None:
    # kwok's module has no replace directives: a plain `go install` works.
    done = subprocess.run(
        [
            "nice",
            "-n",
            "10",
            _go(),
            "install",
            "-trimpath",
            "-ldflags",
            "-s -w",
            f"sigs.k8s.io/kwok/cmd/kwok@v{KWOK_VERSION}",
        ],
        env={**_go_env(), "GOFLAGS": "", "GOBIN": str(cache_dir())},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        raise BuildError(f"go install kwok failed:\n{done.stderr[-3000:]}")


def ensure_built() -> dict[str, Path]:
    """Every binary's path, building the missing ones first (under a lock: one builder at a time)."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with fasteners.InterProcessLock(str(cache_dir().parent / ".build.lock")):
        todo = missing()
        with tempfile.TemporaryDirectory(prefix="zgov-kube-build-") as tmp:
            work = Path(tmp)
            if "etcd" in todo:
                print("building etcd", file=sys.stderr)
                build_etcd(work)
            if any(name in todo for name in CONTROL_PLANE):
                print(f"building Kubernetes v{KUBERNETES_VERSION} (long, the first time)", file=sys.stderr)
                build_control_plane(work)
            if "kwok" in todo:
                print("building kwok", file=sys.stderr)
                build_kwok(work)
    if missing():
        raise BuildError(f"still missing after the build: {', '.join(missing())}")
    return {name: binary(name) for name in BINARIES}


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    try:
        if command == "build":
            for name, path in ensure_built().items():
                print(f"{name:<24} {path}")
        elif command == "paths":
            if missing():
                print(f"missing: {', '.join(missing())}: run 'make kube-tools'", file=sys.stderr)
                return 1
            for name in BINARIES:
                print(f"{name:<24} {binary(name)}")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except BuildError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
