"""The infrastructure chart (charts/zgov-infra) rendered and checked against the platform chart.

Its dependencies (the CloudNativePG operator, NATS, Keycloak charts) are not vendored: helm
refuses to render a chart whose declared dependencies are missing, and their repositories are not
reachable where this is tested. So the chart's OWN templates (the CloudNativePG Cluster, one
Database per service, the PgBouncer Pooler) are rendered from a copy without the dependency list,
and checked for what the zgov chart's defaults expect of them: the names it connects to, a
database for every service that keeps data, PgBouncer in the mode the services are written for.
What is not checked: the dependencies' own templates, and the CloudNativePG objects against the
operator's schemas (its CRDs are not vendored either).
Also here: the connection budget in charts/zgov/README.md, which the infra's PostgreSQL is sized
against, computed again from the zgov chart's defaults.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local import nats_auth, tools
from tests.fixtures.chart import chart_values, of_kind, rendered

INFRA = tools.CHART.parent / "zgov-infra"
RELEASE = "zgov-infra"  # the release name the zgov chart's default values assume
CLUSTER = f"{RELEASE}-postgresql"


def render_infra(folder: Path, *args: str) -> list[dict]:
    """The chart's own templates, rendered from a copy in `folder` without the dependency list."""
    copy = folder / "zgov-infra"
    shutil.copytree(INFRA, copy)
    chart = yaml.safe_load((copy / "Chart.yaml").read_text())
    chart.pop("dependencies")
    (copy / "Chart.yaml").write_text(yaml.safe_dump(chart))
    done = subprocess.run(
        [
            str(tools.ensure_helm()),
            "template",
            RELEASE,
            str(copy),
            "--namespace",
            "zgov",
            "--kube-version",
            tools.KUBE_VERSION,
            *args,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module")
def infra_docs(tmp_path_factory) -> list[dict]:
    return render_infra(tmp_path_factory.mktemp("infra"))


def infra_values() -> dict:
    return yaml.safe_load((INFRA / "values.yaml").read_text())


def services_keeping_data() -> set[str]:
    values = chart_values()
    default_db = values["defaults"]["database"]["enabled"]
    return {
        name
        for name, service in values["services"].items()
        if service.get("enabled") and service.get("database", {}).get("enabled", default_db)
    }


def test_infra_chart_makes_a_database_and_role_for_every_service_that_keeps_data(infra_docs):
    databases = of_kind(infra_docs, "Database")
    wanted = services_keeping_data() | {"keycloak"}
    assert {d["spec"]["name"] for d in databases.values()} == wanted
    for database in databases.values():
        assert database["spec"]["owner"] == database["spec"]["name"]
        assert database["spec"]["cluster"]["name"] == CLUSTER
    roles = of_kind(infra_docs, "Cluster")[CLUSTER]["spec"]["managed"]["roles"]
    assert {r["name"] for r in roles} == wanted
    assert all(r["passwordSecret"]["name"] == f"{CLUSTER}-{r['name']}" and r["login"] for r in roles)


def test_infra_chart_serves_postgresql_where_the_zgov_chart_connects(infra_docs):
    cluster = of_kind(infra_docs, "Cluster")[CLUSTER]
    # CloudNativePG names the primary's Service <cluster>-rw; the zgov chart's default host.
    assert chart_values()["postgresql"]["host"] == f"{CLUSTER}-rw"
    assert cluster["spec"]["instances"] >= 3, "a primary and two replicas: failover"
    assert int(cluster["spec"]["postgresql"]["parameters"]["max_connections"]) > 100
    # Keycloak's database is on the same cluster, reached through the same primary.
    keycloak_db = infra_values()["keycloakx"]["database"]
    assert (keycloak_db["hostname"], keycloak_db["database"]) == (f"{CLUSTER}-rw", "keycloak")


def test_infra_chart_pooler_is_pgbouncer_in_transaction_mode_on_the_primary(infra_docs):
    # The zgov chart's pgbouncer option is written for transaction mode (README "PgBouncer").
    pooler = of_kind(infra_docs, "Pooler")[f"{CLUSTER}-pooler"]
    assert pooler["spec"]["cluster"]["name"] == CLUSTER
    assert pooler["spec"]["type"] == "rw"
    assert pooler["spec"]["pgbouncer"]["poolMode"] == "transaction"
    # Behind it PostgreSQL sees at most instances x default_pool_size per database, whatever the
    # replica count, plus one direct connection per sweep leader and per migration Job, Keycloak's
    # pool per replica and the superuser's reserved slots (README "Connections"),
    pgbouncer = pooler["spec"]["pgbouncer"]["parameters"]
    services = len(services_keeping_data())
    through_pooler = pooler["spec"]["instances"] * int(pgbouncer["default_pool_size"]) * services
    # and the outbox relays' LISTEN, direct too (PgBouncer's transaction mode keeps none): one per
    # replica of each publishing service at maxReplicas
    publishing = len(set(nats_auth.bus_services()) & services_keeping_data())
    max_replicas = chart_values()["defaults"]["autoscaling"]["maxReplicas"]
    direct = 2 * services + publishing * max_replicas
    keycloak = infra_values()["keycloakx"]
    pool_flag = next(arg for arg in keycloak["command"] if arg.startswith("--db-pool-max-size="))
    keycloak_pool = keycloak["replicas"] * int(pool_flag.split("=")[1])
    reserved = 3  # PostgreSQL's superuser_reserved_connections
    cluster = of_kind(infra_docs, "Cluster")[CLUSTER]
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    assert through_pooler + direct + keycloak_pool + reserved <= max_connections


def test_infra_chart_nats_and_keycloak_match_the_zgov_chart_defaults():
    infra, zgov = infra_values(), chart_values()
    nats = infra["nats"]["config"]
    # the official NATS chart's Service is <release>-nats; codecentric's is <release>-keycloakx-http
    assert zgov["nats"]["url"] == f"tls://{RELEASE}-nats:{zgov['nats']['port']}"
    assert zgov["keycloak"]["url"] == f"http://{RELEASE}-keycloakx-http"
    assert nats["jetstream"]["enabled"] and nats["cluster"]["replicas"] == 3
    assert nats["nats"]["tls"]["enabled"] == zgov["nats"]["tls"]["enabled"]
    assert zgov["keycloak"]["podSelector"] == {"app.kubernetes.io/name": "keycloakx"}
    assert zgov["backingServices"]["natsPodSelector"] == {"app.kubernetes.io/name": "nats"}


def test_infra_chart_without_postgresql_renders_nothing_of_its_own(tmp_path):
    assert render_infra(tmp_path, "--set", "postgresql.enabled=false") == []


def test_readme_connection_budget_is_what_the_chart_defaults_open():
    defaults = chart_values()["defaults"]
    services = len(services_keeping_data())
    pool, overflow = defaults["database"]["poolSize"], defaults["database"]["poolOverflow"]
    readme = (tools.CHART / "README.md").read_text()
    section = readme[readme.index("## Connections") : readme.index("### PgBouncer")]
    assert f"kept open ({services} × r × {pool})" in section
    assert f"at peak ({services} × r × {pool + overflow})" in section
    rows = [tuple(map(int, row)) for row in re.findall(r"^\| (\d+)[^|]*\| (\d+) \| (\d+) \|$", section, re.M)]
    assert {r for r, _, _ in rows} >= {
        1,
        defaults["autoscaling"]["minReplicas"],
        defaults["autoscaling"]["maxReplicas"],
    }
    for replicas, kept_open, at_peak in rows:
        assert (kept_open, at_peak) == (services * replicas * pool, services * replicas * (pool + overflow))


def postgresql_peers(policy: dict) -> list[dict]:
    """The pod selectors of a NetworkPolicy's egress rule on PostgreSQL's port."""
    port = chart_values()["postgresql"]["port"]
    return [
        peer["podSelector"]["matchLabels"]
        for rule in policy["spec"]["egress"]
        if rule["ports"][0]["port"] == port
        for peer in rule["to"]
        if "podSelector" in peer
    ]


def test_zgov_network_policies_admit_the_infra_postgresql_pods_by_their_operator_labels(infra_docs, tmp_path):
    # CloudNativePG labels an instance cnpg.io/cluster=<Cluster> and a PgBouncer pod
    # cnpg.io/poolerName=<Pooler>: the zgov chart's egress must select those, or the default
    # deny leaves every service without its database.
    cluster = next(iter(of_kind(infra_docs, "Cluster")))
    pooler = next(iter(of_kind(infra_docs, "Pooler")))
    values = tmp_path / "pgbouncer.yaml"
    for pgbouncer, expected in (
        (False, [{"cnpg.io/cluster": cluster}]),
        (True, [{"cnpg.io/cluster": cluster}, {"cnpg.io/poolerName": pooler}]),
    ):
        values.write_text(yaml.safe_dump({"pgbouncer": {"enabled": pgbouncer}}))
        docs = rendered([values])
        policies = of_kind(docs, "NetworkPolicy")
        assert postgresql_peers(policies["zgov-org"]) == expected
        assert postgresql_peers(policies["zgov-migrations"]) == expected
