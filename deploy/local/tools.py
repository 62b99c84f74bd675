"""Developer tools the repo needs but Python does not carry: buf (proto lint), helm (chart renders),
kubeconform (renders against the Kubernetes API schemas), Lighthouse (the portal's page audit) and
vegeta (the HTTP load generator of `make bench`'s portal figures).

All are pinned and installed into the git-ignored .cache/ by the project itself, so a fresh
clone (and CI) gets the same versions without anything installed by hand:
- buf from the npm registry (@bufbuild/buf ships the binary) into .cache/npm;
- Lighthouse from the npm registry with the committed lockfile of tests/portal_lighthouse/
  (`npm ci`) into .cache/lighthouse;
- helm, kubeconform and vegeta built from their Go modules with the machine's Go into .cache/bin (no
  prebuilt download is reachable here; helm's build takes a few minutes of CPU once, kubeconform's
  about half a minute (3 minutes of wall time on the shared machine at load 27), vegeta's about a
  minute and a half at load 8, then the Go build cache makes a rebuild take seconds).

kubeconform reads no schema from the network here: its schemas are derived once per Kubernetes
version from the JSON schemas bundled in the kubernetes-validate wheel (see `kubeconform_schemas`).

    python -m deploy.local.tools buf|helm|kubeconform|lighthouse|vegeta   install if missing, print the path
    python -m deploy.local.tools chart-realm   copy the realm into the chart, rewrite goldens
    python -m deploy.local.tools chart-check   helm lint + golden renders + realm copy + kubeconform
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import fasteners

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"

BUF_VERSION = "1.75.0"
HELM_VERSION = "v3.22.0"
HELM_MODULE = "helm.sh/helm/v3"
KUBE_VERSION = "1.31.0"
KUBECONFORM_VERSION = "v0.7.0"
KUBECONFORM_MODULE = "github.com/yannh/kubeconform"
# The portal bench's load generator (tests/bench/bench_portal.py): a closed loop of a fixed number of
# requests in flight (-rate=0 -max-workers=N), latency percentiles and status codes in its JSON report.
VEGETA_VERSION = "v12.13.0"
VEGETA_MODULE = "github.com/tsenart/vegeta/v12"
# Chart.yaml's kubeVersion admits older ones; these are the versions operators run and CI checks
# (tests/deploy/test_chart_schemas.py with kubernetes-validate, test_chart_kubeconform.py).
OLDEST_KUBE_VERSION, NEWEST_KUBE_VERSION = "1.30.0", "1.37.0"
# Custom resources: their schemas are the operators' CRDs, which kubernetes-validate does not
# bundle and which are not vendored here. kubeconform skips exactly these kinds (by group, version
# and kind, so a core kind of the same name is still checked); any other kind without a schema
# is an error, never skipped silently.
KUBECONFORM_SKIP = {
    "monitoring.coreos.com/v1/PodMonitor": "Prometheus Operator CRD (metrics.podMonitor)",
    "monitoring.coreos.com/v1/PrometheusRule": "Prometheus Operator CRD (metrics.prometheusRule)",
    "postgresql.cnpg.io/v1/Cluster": "CloudNativePG CRD (charts/zgov-infra)",
    "postgresql.cnpg.io/v1/Database": "CloudNativePG CRD (charts/zgov-infra)",
    "postgresql.cnpg.io/v1/Pooler": "CloudNativePG CRD (charts/zgov-infra)",
    "gateway.networking.k8s.io/v1/HTTPRoute": "Gateway API CRD (portal.httpRoute)",
}

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
# Rendered for kubeconform only (not a golden: kubernetes-validate has no schema for its CRDs):
# metrics on, so the PodMonitor, PrometheusRule and dashboard ConfigMap are checked or skipped by name.
METRICS_VALUES = CHART / "tests" / "values-metrics.yaml"


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
        raise ToolError(
            "Go is missing: install Go 1.24 or later to build helm, kubeconform and vegeta, and run again."
        )
    return go


def _built_version(go: str, binary: Path, module: str) -> str | None:
    # `go version -m` reads the module version stamped into the binary by `go install`.
    info = _run([go, "version", "-m", str(binary)])
    for line in info.stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["mod", module]:
            return parts[2]
    return None


def _go_installed(name: str, module: str, package: str, version: str, took: str) -> Path:
    """The binary `name` of `package`@`version`, built with `go install` into .cache/bin when
    missing or another version."""
    binary = CACHE / "bin" / name
    go = _go()
    with _locked(name):
        if binary.exists() and _built_version(go, binary, module) == version:
            return binary
        print(f"building {name} {version} with {go} ({took} the first time)", file=sys.stderr)
        done = _run([go, "install", f"{package}@{version}"], env={**os.environ, "GOBIN": str(binary.parent)})
        if done.returncode != 0 or not binary.exists():
            raise ToolError(f"go install of {name} {version} failed:\n{done.stderr[-2000:]}")
    return binary


def ensure_helm() -> Path:
    """The pinned helm binary, built with `go install` into .cache/bin when missing or another version."""
    return _go_installed("helm", HELM_MODULE, f"{HELM_MODULE}/cmd/helm", HELM_VERSION, "a few minutes")


def ensure_kubeconform() -> Path:
    """The pinned kubeconform binary, built like helm (its repository's vendor folder plays no part:
    `go install module@version` resolves the module's requirements through the module proxy)."""
    return _go_installed(
        "kubeconform",
        KUBECONFORM_MODULE,
        f"{KUBECONFORM_MODULE}/cmd/kubeconform",
        KUBECONFORM_VERSION,
        "a minute or two",
    )


def ensure_vegeta() -> Path:
    """The pinned vegeta binary (the module's root package is the command), built like helm."""
    return _go_installed("vegeta", VEGETA_MODULE, VEGETA_MODULE, VEGETA_VERSION, "a minute or two")


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


# -- kubeconform on offline schemas ------------------------------------------------------------------


def _bundled_schemas() -> Path:
    import kubernetes_validate  # only here: the other tools do not need jsonschema loaded

    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def _kubeconform_schema(text: str) -> str:
    """One bundled schema made loadable by kubeconform from a folder.

    kubernetes-validate's files name themselves `"$id": "https://kubernetes.io/api/<kind>/..."` and
    refer to their shared definitions as `/api/_definitions.json#/$defs/...`, which kubernetes-validate
    resolves through its own registry. kubeconform resolves a `$ref` against the `$id`, i.e. at
    https://kubernetes.io/api/_definitions.json, which does not exist (and is not reachable here), and
    then reports the kind's schema as not found. Without the `$id` and with the reference made
    relative, it resolves to _definitions.json beside the file. Nothing else changes."""
    schema = json.loads(text)
    schema.pop("$id", None)
    return json.dumps(schema, ensure_ascii=False).replace(
        '"$ref": "/api/_definitions.json#', '"$ref": "_definitions.json#'
    )


def kubeconform_schemas(version: str) -> Path:
    """The folder holding `v<version>-local-strict/` for kubeconform's -schema-location, derived
    once from the strict schemas bundled in the installed kubernetes-validate (.cache/kubeconform)."""
    bundled_name = f"v{version}-local-strict"
    bundled = _bundled_schemas() / bundled_name
    if not bundled.is_dir():
        raise ToolError(
            f"kubernetes-validate {importlib.metadata.version('kubernetes-validate')} bundles no schemas "
            f"for Kubernetes {version} ({bundled} is missing)"
        )
    root = CACHE / "kubeconform" / f"kubernetes-validate-{importlib.metadata.version('kubernetes-validate')}"
    derived = root / bundled_name
    with _locked("kubeconform-schemas"):
        if derived.is_dir():
            return root
        building = root / f"{bundled_name}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        for source in bundled.glob("*.json"):
            text = _kubeconform_schema(source.read_text())
            if "/api/_definitions.json" in text:  # a layout this derivation does not know
                raise ToolError(f"{source.name}: a reference to /api/_definitions.json remains")
            (building / source.name).write_text(text)
        building.rename(derived)  # only a complete folder carries the final name
    return root


@dataclass(frozen=True)
class Conformance:
    """kubeconform's verdict on some manifests for one Kubernetes version."""

    exit_code: int
    resources: list[dict]  # one per resource: filename, kind, name, version (the API group's), status, msg
    summary: dict[str, int]  # valid, invalid, errors, skipped

    def with_status(self, status: str) -> list[dict]:
        return [r for r in self.resources if r["status"] == status]

    def problems(self) -> list[str]:
        return [
            f"{Path(r['filename']).name}: {r['version']}/{r['kind']} {r['name']}: {r['msg']}"
            for r in self.resources
            if r["status"] in ("statusInvalid", "statusError")
        ]


def kubeconform(manifests: list[Path], version: str) -> Conformance:
    """kubeconform -strict on `manifests` for Kubernetes `version`, on the offline schemas, skipping
    exactly the custom resources of KUBECONFORM_SKIP."""
    schemas = kubeconform_schemas(version)
    location = f"{schemas}/{{{{ .NormalizedKubernetesVersion }}}}-local{{{{ .StrictSuffix }}}}/"
    location += "{{ .ResourceKind }}{{ .KindSuffix }}.json"
    done = _run(
        [
            str(ensure_kubeconform()),
            "-strict",
            "-kubernetes-version",
            version,
            "-schema-location",
            location,
            "-skip",
            ",".join(sorted(KUBECONFORM_SKIP)),
            "-output",
            "json",
            "-summary",
            "-verbose",
            *map(str, manifests),
        ]
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ToolError(f"kubeconform failed ({done.returncode}):\n{done.stdout}\n{done.stderr}") from None
    return Conformance(done.returncode, report["resources"], report["summary"])


def kubeconform_renders(folder: Path) -> list[Path]:
    """The golden renders, and a render with the metrics objects on (written into `folder`)."""
    metrics = folder / "metrics.yaml"
    metrics.write_text(helm_template([METRICS_VALUES]))
    return [*(GOLDEN / f"{name}.yaml" for name in sorted(GOLDEN_CASES)), metrics]


def kubeconform_check() -> list[str]:
    """kubeconform -strict on the chart's renders for the oldest and newest Kubernetes: the problems."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="zgov-kubeconform-") as folder:
        renders = kubeconform_renders(Path(folder))
        for version in (OLDEST_KUBE_VERSION, NEWEST_KUBE_VERSION):
            verdict = kubeconform(renders, version)
            problems += [f"Kubernetes {version}: {p}" for p in verdict.problems()]
            if verdict.exit_code != 0 and not verdict.problems():
                problems.append(f"Kubernetes {version}: kubeconform exited {verdict.exit_code}")
            s = verdict.summary
            print(
                f"kubeconform {KUBECONFORM_VERSION} -strict, Kubernetes {version}: {s['valid']} valid, "
                f"{s['invalid']} invalid, {s['errors']} errors, {s['skipped']} skipped "
                f"(custom resources: {', '.join(sorted(KUBECONFORM_SKIP))})"
            )
    return problems


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    try:
        if command == "buf":
            print(ensure_buf())
        elif command == "helm":
            print(ensure_helm())
        elif command == "kubeconform":
            print(ensure_kubeconform())
        elif command == "lighthouse":
            print(ensure_lighthouse())
        elif command == "vegeta":
            print(ensure_vegeta())
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
            refused = kubeconform_check()
            if refused:
                print("kubeconform refused:\n" + "\n".join(refused), file=sys.stderr)
                return 1
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ToolError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
