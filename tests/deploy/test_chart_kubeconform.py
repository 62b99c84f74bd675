"""kubeconform -strict on the charts' renders for the oldest and newest supported Kubernetes, offline.

kubeconform (pinned, built from its Go module into .cache/bin by deploy/local/tools.py) reads its
schemas from a folder derived from the JSON schemas bundled in the kubernetes-validate wheel
(`tools.kubeconform_schemas`: the same schemas test_chart_schemas.py uses, with their shared
definitions made reachable from a folder). A second validator on the same schemas still catches
what the first lets through: kubeconform's strict YAML refuses duplicate keys, and it checks the
text helm prints, not the dicts PyYAML made of it.

Custom resources have no schema here (their CRDs come with the operators, not vendored), so
kubeconform skips exactly the kinds of tools.KUBECONFORM_SKIP:
    monitoring.coreos.com/v1/PodMonitor, monitoring.coreos.com/v1/PrometheusRule (Prometheus Operator),
    postgresql.cnpg.io/v1/Cluster, Database, Pooler (CloudNativePG, charts/zgov-infra).
Each is asserted to occur in a render (no stale entry) and to be the only thing skipped; any other
kind without a schema is an error. The charts declare no Gateway API routes (nothing to skip).

Skipped only when Go is missing (kubeconform cannot be built then).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from deploy.local import tools
from tests.deploy.test_chart_infra import render_infra

VERSIONS = [tools.OLDEST_KUBE_VERSION, tools.NEWEST_KUBE_VERSION]

pytestmark = pytest.mark.skipif(
    shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists(),
    reason="Go is missing: kubeconform is built from its Go module (install Go 1.24 or later)",
)

# Deliberately broken: each document must be refused, for its own reason.
BROKEN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: unknown-field
spec:
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      containers:
        - name: x
          image: example.invalid/x:1
          imagePullPolicyy: Always
---
apiVersion: v1
kind: Service
metadata:
  name: wrong-type
spec:
  ports:
    - port: "eighty"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: duplicate-key
data:
  a: "1"
  a: "2"
---
apiVersion: widgets.example.invalid/v1
kind: Widget
metadata:
  name: no-schema
"""


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> list[Path]:
    """The zgov chart's golden renders, its render with metrics on, and the infra chart's own templates."""
    folder = tmp_path_factory.mktemp("kubeconform")
    infra = folder / "zgov-infra.yaml"
    infra.write_text(yaml.safe_dump_all(render_infra(tmp_path_factory.mktemp("infra"))))
    return [*tools.kubeconform_renders(folder), infra]


def gvk(doc: dict) -> str:
    return f"{doc['apiVersion']}/{doc['kind']}"


@pytest.mark.parametrize("version", VERSIONS)
def test_renders_conform_strictly_and_only_the_named_custom_resources_are_skipped(renders, version):
    docs = {path.name: [d for d in yaml.safe_load_all(path.read_text()) if d] for path in renders}
    verdict = tools.kubeconform(renders, version)

    assert verdict.problems() == []
    assert verdict.exit_code == 0
    for name, expected in docs.items():
        seen = [r for r in verdict.resources if Path(r["filename"]).name == name]
        valid = sorted(
            f"{r['version']}/{r['kind']}/{r['name']}" for r in seen if r["status"] == "statusValid"
        )
        skipped = sorted(
            f"{r['version']}/{r['kind']}/{r['name']}" for r in seen if r["status"] == "statusSkipped"
        )
        assert valid == sorted(
            f"{gvk(d)}/{d['metadata']['name']}" for d in expected if gvk(d) not in tools.KUBECONFORM_SKIP
        ), name
        assert skipped == sorted(
            f"{gvk(d)}/{d['metadata']['name']}" for d in expected if gvk(d) in tools.KUBECONFORM_SKIP
        ), name
    every_kind = {gvk(d) for docs_of_one in docs.values() for d in docs_of_one}
    assert set(tools.KUBECONFORM_SKIP) <= every_kind, "a skipped kind no render has: drop it from the list"
    assert verdict.summary["valid"] > 100  # the checks above ran on the renders, not on nothing


@pytest.mark.parametrize("version", VERSIONS)
def test_a_broken_manifest_is_refused(tmp_path, version):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)

    verdict = tools.kubeconform([broken], version)

    assert verdict.exit_code == 1
    by_name = {r["name"]: r for r in verdict.resources}
    assert by_name["unknown-field"]["status"] == "statusInvalid"
    assert "imagePullPolicyy" in by_name["unknown-field"]["msg"]
    assert by_name["wrong-type"]["status"] == "statusInvalid"
    assert "/spec/ports/0/port" in by_name["wrong-type"]["msg"]
    # strict YAML: a key given twice is an error before any schema is read
    assert by_name["duplicate-key"]["status"] == "statusError"
    assert 'key "a" already set in map' in by_name["duplicate-key"]["msg"]
    # a kind with no schema and not in KUBECONFORM_SKIP is never passed over
    assert by_name["no-schema"]["status"] == "statusError"
    assert "could not find schema for Widget" in by_name["no-schema"]["msg"]
    assert verdict.summary == {"valid": 0, "invalid": 2, "errors": 2, "skipped": 0}
