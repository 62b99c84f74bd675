"""Developer tools the repo needs but Python does not carry: buf (proto lint), helm (chart renders) and
Lighthouse (the portal's page audit).

All are pinned and installed into the git-ignored .cache/ by the project itself, so a fresh
clone (and CI) gets the same versions without anything installed by hand:
- buf from the npm registry (@bufbuild/buf ships the binary) into .cache/npm;
- Lighthouse from the npm registry with the committed lockfile of tests/portal_lighthouse/
  (`npm ci`) into .cache/lighthouse;
- helm built from its Go module with the machine's Go into .cache/bin (no prebuilt download
  is reachable here; the build takes a few minutes of CPU once, then the Go build cache makes
  a rebuild take seconds).

    python -m deploy.local.tools buf|helm|lighthouse   install if missing, print the binary's path
    python -m deploy.local.tools chart-realm   copy the realm into the chart, rewrite goldens
    python -m deploy.local.tools chart-check   helm lint + compare golden renders + realm copy
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import fasteners

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"

BUF_VERSION = "1.75.0"
HELM_VERSION = "v3.22.0"
HELM_MODULE = "helm.sh/helm/v3"
KUBE_VERSION = "1.31.0"

# The package.json and package-lock.json that pin Lighthouse and everything it pulls in.
LIGHTHOUSE_PACKAGE = ROOT / "tests" / "portal_lighthouse"

CHART = ROOT / "charts" / "zgov"
REALM_SOURCE = ROOT / "deploy" / "keycloak" / "realm-zgov.json"
REALM_IN_CHART = CHART / "files" / "realm-zgov.json"
GOLDEN = CHART / "tests" / "golden"
# One golden render per values file: the defaults, and every service switched on.
GOLDEN_CASES = {
    "default": [],
    "all-services": [CHART / "tests" / "values-all-services.yaml"],
}


class ToolError(RuntimeError):
    """A tool could not be installed or run: the message says what to do."""


def _locked(name: str) -> fasteners.InterProcessLock:
    # Two processes installing at once (make lint beside make test) would corrupt .cache.
    # resolve(): .cache may be a link to another checkout's, not made yet (a git worktree).
    CACHE.resolve().mkdir(parents=True, exist_ok=True)
    return fasteners.InterProcessLock(str(CACHE / f".{name}.lock"))


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)


def ensure_buf() -> Path:
    """The pinned buf binary, installed from npm into .cache/npm when missing or another version."""
    buf = CACHE / "npm" / "node_modules" / ".bin" / "buf"
    with _locked("buf"):
        if buf.exists() and _run([str(buf), "--version"]).stdout.strip() == BUF_VERSION:
            return buf
        npm = shutil.which("npm")
        if npm is None:
            raise ToolError("npm is missing: install Node.js (apt-get install nodejs npm) and run again.")
        done = _run(
            [
                npm,
                "install",
                "--prefix",
                str(CACHE / "npm"),
                "--no-audit",
                "--no-fund",
                "--no-save",
                f"@bufbuild/buf@{BUF_VERSION}",
            ],
            env={**os.environ, "CI": "true"},
        )
        if done.returncode != 0 or not buf.exists():
            raise ToolError(f"npm could not install @bufbuild/buf@{BUF_VERSION}:\n{done.stderr[-2000:]}")
    return buf


def ensure_lighthouse() -> Path:
    """The pinned Lighthouse CLI (a node script), installed by `npm ci` from the committed lockfile into
    .cache/lighthouse when missing or when the lockfile changed since (npm ci replaces node_modules)."""
    home = CACHE / "lighthouse"
    cli = home / "node_modules" / "lighthouse" / "cli" / "index.js"
    lockfile = (LIGHTHOUSE_PACKAGE / "package-lock.json").read_bytes()
    installed_from = home / "installed-package-lock.json"
    with _locked("lighthouse"):
        if cli.exists() and installed_from.exists() and installed_from.read_bytes() == lockfile:
            return cli
        npm = shutil.which("npm")
        if npm is None:
            raise ToolError("npm is missing: install Node.js (apt-get install nodejs npm) and run again.")
        home.mkdir(parents=True, exist_ok=True)
        installed_from.unlink(missing_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(LIGHTHOUSE_PACKAGE / name, home / name)
        # --ignore-scripts: nothing Lighthouse needs runs at install (it downloads no browser anyway).
        # resolve(): through a linked .cache npm takes the folder for a link to itself and refuses the lockfile.
        done = _run(
            [npm, "ci", "--prefix", str(home.resolve()), "--ignore-scripts", "--no-audit", "--no-fund"],
            env={**os.environ, "CI": "true"},
        )
        if done.returncode != 0 or not cli.exists():
            raise ToolError(f"npm ci of tests/portal_lighthouse into {home} failed:\n{done.stderr[-2000:]}")
        installed_from.write_bytes(lockfile)
    return cli


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if go is None:
        raise ToolError("Go is missing: install Go 1.24 or later to build helm, and run again.")
    return go


def _built_version(go: str, binary: Path) -> str | None:
    # `go version -m` reads the module version stamped into the binary by `go install`.
    info = _run([go, "version", "-m", str(binary)])
    for line in info.stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["mod", HELM_MODULE]:
            return parts[2]
    return None


def ensure_helm() -> Path:
    """The pinned helm binary, built with `go install` into .cache/bin when missing or another version."""
    helm = CACHE / "bin" / "helm"
    go = _go()
    with _locked("helm"):
        if helm.exists() and _built_version(go, helm) == HELM_VERSION:
            return helm
        print(f"building helm {HELM_VERSION} with {go} (a few minutes the first time)", file=sys.stderr)
        done = _run(
            [go, "install", f"{HELM_MODULE}/cmd/helm@{HELM_VERSION}"],
            env={**os.environ, "GOBIN": str(helm.parent)},
        )
        if done.returncode != 0 or not helm.exists():
            raise ToolError(f"go install of helm {HELM_VERSION} failed:\n{done.stderr[-2000:]}")
    return helm


def helm_template(values: list[Path]) -> str:
    """The chart rendered offline, as `helm template` prints it (release "zgov", namespace "zgov")."""
    # A fixed cluster version: the renders must not depend on how helm was built.
    args = [
        str(ensure_helm()),
        "template",
        "zgov",
        str(CHART),
        "--namespace",
        "zgov",
        "--kube-version",
        KUBE_VERSION,
    ]
    for v in values:
        args += ["--values", str(v)]
    done = _run(args)
    if done.returncode != 0:
        raise ToolError(f"helm template failed:\n{done.stderr}")
    return done.stdout


def helm_lint() -> str:
    done = _run([str(ensure_helm()), "lint", "--strict", "--kube-version", KUBE_VERSION, str(CHART)])
    if done.returncode != 0:
        raise ToolError(f"helm lint failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def sync_chart_realm() -> None:
    """Copy the realm into the chart: helm reads files only from inside the chart folder."""
    if not REALM_SOURCE.exists():
        raise ToolError(f"{REALM_SOURCE.relative_to(ROOT)} is missing: nothing to copy into the chart.")
    REALM_IN_CHART.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REALM_SOURCE, REALM_IN_CHART)


def realm_drift() -> str | None:
    """Why the chart's realm copy differs from deploy/keycloak, or None when it matches."""
    if not REALM_SOURCE.exists():
        return None if not REALM_IN_CHART.exists() else "the chart has a realm but deploy/keycloak has none"
    if not REALM_IN_CHART.exists() or REALM_IN_CHART.read_bytes() != REALM_SOURCE.read_bytes():
        return "charts/zgov/files/realm-zgov.json differs from deploy/keycloak/realm-zgov.json"
    return None


def write_goldens() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, values in GOLDEN_CASES.items():
        (GOLDEN / f"{name}.yaml").write_text(helm_template(values))


def golden_drift() -> list[str]:
    return [
        name
        for name, values in GOLDEN_CASES.items()
        if not (GOLDEN / f"{name}.yaml").exists()
        or (GOLDEN / f"{name}.yaml").read_text() != helm_template(values)
    ]


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    try:
        if command == "buf":
            print(ensure_buf())
        elif command == "helm":
            print(ensure_helm())
        elif command == "lighthouse":
            print(ensure_lighthouse())
        elif command == "chart-realm":
            sync_chart_realm()
            write_goldens()
            print("copied the realm into charts/zgov/files and rewrote charts/zgov/tests/golden")
        elif command == "chart-goldens":
            write_goldens()
            print("rewrote charts/zgov/tests/golden")
        elif command == "chart-check":
            print(helm_lint().strip())
            problems = [f"golden render {n}.yaml is stale" for n in golden_drift()]
            problems += [d for d in [realm_drift()] if d]
            if problems:
                print("; ".join(problems) + ": run 'make chart-realm' and commit.", file=sys.stderr)
                return 1
            print("golden renders and the chart's realm copy are up to date")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ToolError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
