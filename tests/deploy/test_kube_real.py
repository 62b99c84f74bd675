"""The chart on a real Kubernetes API server (v1.34, built from source by deploy/local/kube.py):
install, upgrade, roll back and uninstall with the pinned helm, every object accepted by
server-side apply, the autoscalers and disruption budgets present, the hook Jobs completed.

What this does not exercise (kwok plays the kubelet, tests/fixtures/kube.py): no container runs,
so images are never pulled, probes never run (kwok reports a pod Ready as soon as it is
scheduled), volumes, Secrets and ConfigMaps named by a pod are never mounted or read,
securityContext is not enforced, and NetworkPolicies are stored but never applied (no CNI).
Nor do the services talk to a database here: the migration Job "completes" because kwok
completes every Job pod. What IS real: the API server's schema validation, defaulting and
admission, the scheduler, the deployment, replica-set and job controllers, helm's release
bookkeeping and its --wait on readiness and Job completion.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local import kube, tools
from tests.fixtures.kube import unready_report

CHART = tools.CHART
ALL_SERVICES = CHART / "tests" / "values-all-services.yaml"
RELEASE = "zgov"
NAMESPACE = "zgov"


class Helm:
    def __init__(self, cluster, home: Path):
        self.cluster = cluster
        self.binary = str(tools.ensure_helm())
        self.env = {
            **os.environ,
            "KUBECONFIG": str(cluster.kubeconfig),
            "HELM_CACHE_HOME": str(home / "cache"),
            "HELM_CONFIG_HOME": str(home / "config"),
            "HELM_DATA_HOME": str(home / "data"),
        }

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [self.binary, *args],
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=900,
        )
        if done.returncode != 0:
            with self.cluster.api() as api:
                waiting_on = unready_report(api, NAMESPACE)
            pytest.fail(f"helm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{waiting_on}")
        return done.stdout

    def render(self, *values: Path) -> list[dict]:
        args = [
            "template",
            RELEASE,
            str(CHART),
            "--namespace",
            NAMESPACE,
            "--kube-version",
            kube.KUBERNETES_VERSION,
        ]
        for v in values:
            args += ["--values", str(v)]
        return [d for d in yaml.safe_load_all(self(*args)) if d]


@pytest.fixture(scope="module")
def helm(kube_cluster, tmp_path_factory) -> Helm:
    return Helm(kube_cluster, tmp_path_factory.mktemp("helm-home"))


def resource_paths(api) -> dict[tuple[str, str], tuple[str, bool, str]]:
    """(apiVersion, kind) -> (group-version path, namespaced, plural), from the server's discovery."""
    found = {}
    groups = [("v1", "/api/v1")] + [
        (version["groupVersion"], f"/apis/{version['groupVersion']}")
        for group in api.get("/apis").json()["groups"]
        for version in group["versions"]
    ]
    for group_version, path in groups:
        for resource in api.get(path).json()["resources"]:
            if "/" not in resource["name"]:
                found[(group_version, resource["kind"])] = (path, resource["namespaced"], resource["name"])
    return found


def object_url(paths, doc: dict, namespace: str) -> str:
    prefix, namespaced, plural = paths[(doc["apiVersion"], doc["kind"])]
    where = f"/namespaces/{namespace}" if namespaced else ""
    return f"{prefix}{where}/{plural}/{doc['metadata']['name']}"


def server_side_apply_dry_run(api, docs: list[dict], namespace: str) -> list[str]:
    """Each object sent as a server-side apply with dryRun=All; the refusals, as messages."""
    paths = resource_paths(api)
    refused = []
    for doc in docs:
        answer = api.patch(
            object_url(paths, doc, namespace),
            params={"dryRun": "All", "fieldManager": "zgov-test", "force": "true"},
            headers={"Content-Type": "application/apply-patch+yaml"},
            content=yaml.safe_dump(doc),
        )
        if answer.status_code >= 300:
            refused.append(f"{doc['kind']}/{doc['metadata']['name']}: {answer.json().get('message')}")
    return refused


def ensure_namespace(api, name: str) -> None:
    answer = api.post(
        "/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert answer.status_code in (201, 409), answer.text


def listed(api, path: str) -> dict[str, dict]:
    return {item["metadata"]["name"]: item for item in api.get(path).json()["items"]}


def hook_jobs(api, rendered: list[dict]) -> dict[str, dict]:
    """The release's hook Jobs (a migration per service before, the realm import after) by name:
    exactly the Jobs of the render."""
    jobs = listed(api, f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs")
    expected = {d["metadata"]["name"] for d in rendered if d["kind"] == "Job"}
    assert f"{RELEASE}-keycloak-config" in expected and f"{RELEASE}-org-migrate" in expected
    assert set(jobs) == expected
    return jobs


def log_level_of(api, service: str) -> str:
    deployment = api.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/{RELEASE}-{service}").json()
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    return next(e["value"] for e in env if e["name"] == "ZGOV_LOG_LEVEL")


# The first run on a machine builds the control plane in the fixture (`make kube-tools` ahead of
# time avoids that): far beyond the suite's 600 s per test.
@pytest.mark.timeout(3600)
@pytest.mark.long
def test_install_upgrade_rollback_uninstall_on_a_real_api_server(kube_cluster, helm):
    """One test, so that a parallel run starts one control plane, not one per worker."""
    with kube_cluster.api() as api:
        ensure_namespace(api, NAMESPACE)
        for values in ([], [ALL_SERVICES]):
            assert server_side_apply_dry_run(api, helm.render(*values), NAMESPACE) == []

    wait = ["--wait", "--wait-for-jobs", "--timeout", "5m"]
    helm("install", RELEASE, str(CHART), "--namespace", NAMESPACE, "--create-namespace", *wait)
    with kube_cluster.api() as api:
        deployments = listed(api, f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments")
        assert deployments and all(d["status"].get("readyReplicas", 0) >= 1 for d in deployments.values())
        hpas = listed(api, f"/apis/autoscaling/v2/namespaces/{NAMESPACE}/horizontalpodautoscalers")
        pdbs = listed(api, f"/apis/policy/v1/namespaces/{NAMESPACE}/poddisruptionbudgets")
        assert set(hpas) == set(deployments) and set(pdbs) == set(deployments)
        installed = hook_jobs(api, helm.render())
        assert {name: job["status"].get("succeeded") for name, job in installed.items()} == dict.fromkeys(
            installed, 1
        )
        assert log_level_of(api, "org") == "INFO"

        helm(
            "upgrade",
            RELEASE,
            str(CHART),
            "--namespace",
            NAMESPACE,
            "--set",
            "defaults.logLevel=DEBUG",
            *wait,
        )
        assert log_level_of(api, "org") == "DEBUG"
        # the hooks ran again for the upgrade: each Job is a new one (before-hook-creation), and done
        upgraded = hook_jobs(api, helm.render())
        for name, job in upgraded.items():
            assert job["metadata"]["uid"] != installed[name]["metadata"]["uid"], name
            assert job["status"].get("succeeded") == 1, (name, job["status"])

        helm("rollback", RELEASE, "1", "--namespace", NAMESPACE, *wait)
        assert log_level_of(api, "org") == "INFO"
        history = yaml.safe_load(helm("history", RELEASE, "--namespace", NAMESPACE, "-o", "yaml"))
        assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]

        helm("uninstall", RELEASE, "--namespace", NAMESPACE, "--wait", "--timeout", "5m")
        assert listed(api, f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments") == {}
