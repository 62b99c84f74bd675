"""The chart's production options (issue 19): backing services outside the cluster, the Keycloak
back channel split from the public issuer, stream replicas, pool sizes and PgBouncer, migrations
as a hook Job, topology spread, images by digest, service-account annotations, metrics."""

from __future__ import annotations

import json

import pytest
import yaml

from deploy.local import tools
from tests.fixtures.chart import of_kind, rendered

CHART = tools.CHART
DIGEST = "sha256:" + "0123456789abcdef" * 4
PRODUCTION = {
    "metrics": {
        "prometheus": {"enabled": True},
        "podMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True},
        "grafanaDashboard": {"enabled": True},
    },
    "postgresql": {"egressCidrs": ["10.20.0.0/24"]},
    "nats": {"egressCidrs": ["10.22.0.0/24"], "streamReplicas": 3},
    "keycloak": {"egressCidrs": ["10.23.0.0/24"], "issuerUrl": "https://id.example.invalid"},
    "pgbouncer": {"enabled": True},
    "image": {"digest": DIGEST},
    "defaults": {
        "serviceAccount": {"annotations": {"iam.example.invalid/role": "zgov"}},
        "database": {"poolSize": 4, "poolOverflow": 2},
    },
}


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> list[dict]:
    tools.ensure_helm()
    values = tmp_path_factory.mktemp("values") / "production.yaml"
    values.write_text(yaml.safe_dump(PRODUCTION))
    return rendered([values])


def env_of(deployment: dict) -> dict[str, dict]:
    return {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_network_policies_admit_backing_services_outside_the_cluster(docs):
    policy = of_kind(docs, "NetworkPolicy")["zgov-org"]
    blocks = {
        peer["ipBlock"]["cidr"]: rule["ports"][0]["port"]
        for rule in policy["spec"]["egress"]
        for peer in rule["to"]
        if "ipBlock" in peer
    }
    assert blocks == {"10.20.0.0/24": 5432, "10.22.0.0/24": 4222, "10.23.0.0/24": 8080}


def test_services_get_the_issuer_stream_replicas_pool_sizes_and_pgbouncer_settings(docs):
    env = env_of(of_kind(docs, "Deployment")["zgov-org"])
    assert env["ZGOV_KEYCLOAK_ISSUER_URL"]["value"] == "https://id.example.invalid"
    assert env["ZGOV_KEYCLOAK_URL"]["value"] == "http://zgov-infra-keycloakx-http"  # the back channel
    assert env["ZGOV_STREAM_REPLICAS"]["value"] == "3"
    assert (env["ZGOV_DB_POOL_SIZE"]["value"], env["ZGOV_DB_POOL_OVERFLOW"]["value"]) == ("4", "2")
    assert env["ZGOV_DB_STATEMENT_CACHE"]["value"] == "false"
    assert env["ZGOV_LEADER_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "direct-url"
    assert env["ZGOV_METRICS_PORT"]["value"] == "9464"


def test_migrations_run_once_per_release_as_hook_jobs_before_the_pods(docs):
    jobs = {name: job for name, job in of_kind(docs, "Job").items() if name.endswith("-migrate")}
    assert set(jobs) == {
        f"zgov-{s}-migrate"
        for s in (
            "disclosure",
            "documents",
            "meetings",
            "notify",
            "org",
            "petitions",
            "portal",
            "supervision",
        )
    }
    for job in jobs.values():
        assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["command"][:4] == ["python", "-m", "shared.migrations", "migrate"]
        # through PgBouncer the migration takes the direct address (its advisory lock needs a session)
        assert container["env"][0]["valueFrom"]["secretKeyRef"]["key"] == "direct-url"
    policy = of_kind(docs, "NetworkPolicy")["zgov-migrations"]
    assert policy["metadata"]["annotations"]["helm.sh/hook-weight"] == "-10"


def test_pods_spread_run_the_image_by_digest_under_annotated_accounts(docs):
    for name, deployment in of_kind(docs, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        keys = {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
        assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}, name
        assert pod["containers"][0]["image"].endswith(f"@{DIGEST}"), name
        assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in pod["containers"][0]["ports"]
    for account in of_kind(docs, "ServiceAccount").values():
        assert account["metadata"]["annotations"] == {"iam.example.invalid/role": "zgov"}


def test_alerts_monitor_and_dashboard_name_the_exported_metrics(docs):
    (rule,) = of_kind(docs, "PrometheusRule").values()
    alerts = {r["alert"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert set(alerts) == {
        "ZgovOutboxStuck",
        "ZgovConsumerLagging",
        "ZgovDeadLetters",
        "ZgovPortalServingStale",
        "ZgovRpcErrors",
    }
    assert "zgov_outbox_oldest_age_seconds" in alerts["ZgovOutboxStuck"]
    # the counter's name as the portal exports it (shared/metrics.py's table; Prometheus adds _total)
    assert "zgov_portal_stale_served_total" in alerts["ZgovPortalServingStale"]
    (monitor,) = of_kind(docs, "PodMonitor").values()
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    dashboard = json.loads(of_kind(docs, "ConfigMap")["zgov-dashboards"]["data"]["zgov-overview.json"])
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "rpc_server_duration_seconds",
        "zgov_outbox_backlog",
        "zgov_consumer_pending",
        "zgov_events_dead_lettered_total",
        "zgov_sweep_duration_seconds",
        "zgov_db_pool_in_use",
    ):
        assert metric in expressions
