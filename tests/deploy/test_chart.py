"""The Helm chart renders, lints, matches its golden renders, and keeps its promises.

helm is the real one, built from its Go module into .cache/bin by deploy/local/tools.py the
first time (a few minutes), so these tests need Go and the Go module proxy, nothing else.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local import tools
from services.portal import __main__ as portal_main
from shared.grpc_server import GrpcServer
from shared.sweep import RELEASE_SECONDS
from tests.fixtures.chart import chart_values, of_kind, rendered

CHART = tools.CHART
ALL_SERVICES = CHART / "tests" / "values-all-services.yaml"
SERVICES = ["disclosure", "documents", "meetings", "notify", "org", "petitions", "portal", "supervision"]
# Services that answer HTTP only and have no events (the portal keeps only what its replicas share).
STATELESS_HTTP = {"portal"}
# What GrpcServer spends of a stopping pod's time before it cancels the background tasks (sweeps).
_SERVER = inspect.signature(GrpcServer.__init__).parameters
GRPC_DRAIN = _SERVER["drain_delay"].default + _SERVER["stop_grace"].default


@pytest.fixture(scope="module")
def helm() -> Path:
    return tools.ensure_helm()


def test_helm_lint_strict_passes(helm):
    assert "0 chart(s) failed" in tools.helm_lint()


@pytest.mark.parametrize("case", sorted(tools.GOLDEN_CASES))
def test_golden_render_is_current(helm, case):
    golden = tools.GOLDEN / f"{case}.yaml"
    assert golden.exists(), f"{golden} is missing: run '.venv/bin/python -m deploy.local.tools chart-goldens'"
    assert tools.helm_template(tools.GOLDEN_CASES[case]) == golden.read_text(), (
        f"the chart no longer renders {golden.name}: if the change is intended, run "
        "'.venv/bin/python -m deploy.local.tools chart-goldens' and commit the goldens"
    )


def test_realm_copy_in_chart_matches_deploy_keycloak():
    assert tools.realm_drift() is None, "run 'make chart-realm' and commit charts/zgov"


def test_the_services_that_exist_are_enabled_by_default(helm):
    docs = rendered([])
    assert set(of_kind(docs, "Deployment")) == {
        "zgov-org",
        "zgov-meetings",
        "zgov-documents",
        "zgov-supervision",
        "zgov-disclosure",
        "zgov-petitions",
        "zgov-notify",
        "zgov-portal",
    }
    assert of_kind(docs, "Ingress") == {}


def test_each_caller_is_told_where_its_callees_answer(helm):
    """ZGOV_<CALLEE>_ADDRESS comes from the caller matrix, so the network, Keycloak and the
    service's configuration cannot disagree about whom a service calls."""
    for name, dep in of_kind(rendered([ALL_SERVICES]), "Deployment").items():
        service = name.removeprefix("zgov-")
        env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
        addresses = {key: value for key, value in env.items() if key.endswith("_ADDRESS")}
        expected = {
            f"ZGOV_{callee.upper()}_ADDRESS": f"zgov-{callee}:50051"
            for callee, svc in chart_values()["services"].items()
            if service in svc.get("callers", [])
        }
        assert addresses == expected, service


def test_a_caller_without_its_callee_does_not_render(helm, tmp_path):
    f = tmp_path / "v.yaml"
    f.write_text("services:\n  org:\n    enabled: false\n")
    with pytest.raises(tools.ToolError, match="services.org.enabled must be true"):
        tools.helm_template([f])


def test_every_service_renders_its_full_set_of_objects(helm):
    docs = rendered([ALL_SERVICES])
    for kind in ("Deployment", "Service", "ServiceAccount", "NetworkPolicy"):
        assert {f"zgov-{s}" for s in SERVICES} <= set(of_kind(docs, kind)), kind
    # supervision switches autoscaling and its disruption budget off in the test values
    assert set(of_kind(docs, "HorizontalPodAutoscaler")) == {f"zgov-{s}" for s in SERVICES} - {
        "zgov-supervision"
    }
    assert set(of_kind(docs, "PodDisruptionBudget")) == {f"zgov-{s}" for s in SERVICES} - {"zgov-supervision"}
    assert of_kind(docs, "Deployment")["zgov-supervision"]["spec"]["replicas"] == 1
    assert "replicas" not in of_kind(docs, "Deployment")["zgov-org"]["spec"], "the HPA owns the replica count"


def _pod_specs(docs):
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield d["metadata"]["name"], d["spec"]["template"]["spec"]


def test_every_workload_runs_with_secure_pod_defaults(helm):
    docs = rendered([ALL_SERVICES])
    accounts = set(of_kind(docs, "ServiceAccount"))
    specs = list(_pod_specs(docs))
    assert len(specs) == 2 * len(SERVICES) + 1  # the services, their migration jobs and the realm job
    for name, pod in specs:
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for c in pod["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]), name
        if name != "zgov-keycloak-config" and not name.endswith("-migrate"):
            assert pod["serviceAccountName"] == name and name in accounts


def test_services_probe_grpc_natively_and_drain_within_the_grace_period(helm):
    for name, dep in of_kind(rendered([ALL_SERVICES]), "Deployment").items():
        pod = dep["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if name.removeprefix("zgov-") in STATELESS_HTTP:
                assert "grpc" not in ports and c[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
            else:
                assert c[probe]["grpc"] == {"port": ports["grpc"]}, (name, probe)
        pause = int(c["lifecycle"]["preStop"]["exec"]["command"][1])
        assert pod["terminationGracePeriodSeconds"] > pause, name
        # After SIGTERM the server drains, then its sweeps give their leader locks up (bounded by
        # shared.sweep.RELEASE_SECONDS) and its shutdown hooks run: all before the grace period ends.
        drain = portal_main.GRACEFUL_SHUTDOWN_SECONDS if name == "zgov-portal" else GRPC_DRAIN
        left = pod["terminationGracePeriodSeconds"] - pause - drain
        assert left >= 2 * RELEASE_SECONDS, (name, left)  # at least as long again for the hooks
        assert c["command"] == ["python", "-m", f"services.{name.removeprefix('zgov-')}"]


def test_secrets_come_from_secret_references_only(helm):
    for name, dep in of_kind(rendered([ALL_SERVICES]), "Deployment").items():
        env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
        service = name.removeprefix("zgov-")
        if service in STATELESS_HTTP:
            assert "ZGOV_NATS_URL" not in env and "ZGOV_NATS_NKEY_SEED" not in env, name
            assert env["ZGOV_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"zgov-{service}-database"
        else:
            assert env["ZGOV_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
                "name": f"{name}-database",
                "key": "url",
            }
            assert env["ZGOV_NATS_NKEY_SEED"]["valueFrom"]["secretKeyRef"] == {
                "name": f"{name}-nats",
                "key": "nkey-seed",
            }
        assert env["ZGOV_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == f"{name}-keycloak-client"
        assert env["ZGOV_CLIENT_ID"]["value"] == env["ZGOV_SERVICE_NAME"]["value"] == service
        assert not env["ZGOV_KEYCLOAK_URL"]["value"].endswith("/")
        assert all(n.startswith(("ZGOV_", "OTEL_")) for n in env), name  # OTEL_*: the SDK's own


def _realm() -> dict:
    return json.loads(tools.REALM_SOURCE.read_text())


def test_caller_matrix_in_values_matches_the_service_accounts_of_the_realm():
    """The network admits exactly the callers that Keycloak authorises (CALLERS.md)."""
    authorised = {
        (user["username"].removeprefix("service-account-"), callee)
        for user in _realm().get("users", [])
        if user.get("username", "").startswith("service-account-")
        for callee in user.get("clientRoles", {})
        if callee in SERVICES
    }
    admitted = {
        (caller, callee)
        for callee, svc in chart_values()["services"].items()
        for caller in svc.get("callers", [])
    }
    assert admitted == authorised


def test_network_policies_admit_only_named_callers(helm):
    docs = rendered([ALL_SERVICES])
    policies = of_kind(docs, "NetworkPolicy")
    deny = policies["zgov-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    matrix = {name: set(svc.get("callers", [])) for name, svc in chart_values()["services"].items()}
    for service in SERVICES:
        spec = policies[f"zgov-{service}"]["spec"]
        callers = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in spec.get("ingress") or []
            for peer in rule["from"]
            if "podSelector" in peer and "namespaceSelector" not in peer
        }
        assert callers == matrix[service], service
        callees = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in spec["egress"]
            for peer in rule["to"]
            if "namespaceSelector" not in peer
        }
        assert callees == {callee for callee, who in matrix.items() if service in who}, service
        egress_ports = {p["port"] for rule in spec["egress"] for p in rule["ports"]}
        if service in STATELESS_HTTP:
            assert {53, 8080, 5432} <= egress_ports and 4222 not in egress_ports, service
        else:
            assert {53, 5432, 4222, 8080} <= egress_ports, service


def test_realm_job_fills_every_placeholder_of_the_realm(helm):
    docs = rendered([])
    job = of_kind(docs, "Job")["zgov-keycloak-config"]
    env = {e["name"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)\}", tools.REALM_SOURCE.read_text()))
    assert placeholders and placeholders <= env
    (config_map,) = of_kind(docs, "ConfigMap").values()
    assert json.loads(config_map["data"]["realm-zgov.json"]) == _realm()


def test_realm_job_can_use_a_config_map_kept_by_operators(helm, tmp_path):
    own = tmp_path / "own.yaml"
    own.write_text("keycloakConfig:\n  existingConfigMap: realm-from-operators\n")
    docs = rendered([own])
    assert of_kind(docs, "ConfigMap") == {}
    job = of_kind(docs, "Job")["zgov-keycloak-config"]
    volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
    assert volumes["realm"]["configMap"]["name"] == "realm-from-operators"


@pytest.mark.parametrize(
    ("bad", "complaint"),
    [
        ("services:\n  org:\n    enabled: true\n    callers: [nobody]\n", "/services/org/callers/0"),
        ("defaults:\n  grpcPort: fifty\n", "/defaults/grpcPort"),
        ("services:\n  billing:\n    enabled: true\n", "billing"),
        ("keycloak:\n  url: http://keycloak/\n", "/keycloak/url"),
        ("nats:\n  url: http://nats:4222\n", "/nats/url"),
        ("nats:\n  url: nats://nats:4222\n", "/nats/url"),  # TLS is on: tls:// only
        ("nats:\n  tls:\n    caSecret:\n      name: ''\n", "/nats/tls/caSecret/name"),
        ("defaults:\n  natsCredentials:\n    secretKey: ''\n", "/defaults/natsCredentials/secretKey"),
        ("telemetry:\n  tracesSamplerArg: half\n", "/telemetry/tracesSamplerArg"),
    ],
)
def test_schema_rejects_bad_values(helm, tmp_path, bad, complaint):
    f = tmp_path / "bad.yaml"
    f.write_text(bad)
    with pytest.raises(tools.ToolError, match="schema") as err:
        tools.helm_template([f])
    assert complaint in str(err.value)


def test_portal_needs_its_service(helm, tmp_path):
    f = tmp_path / "portal.yaml"
    f.write_text("portal:\n  enabled: true\nservices:\n  portal:\n    enabled: false\n")
    with pytest.raises(tools.ToolError, match="services.portal.enabled"):
        tools.helm_template([f])


def test_the_portal_behind_its_ingress_knows_its_public_address(helm):
    dep = of_kind(rendered([ALL_SERVICES]), "Deployment")["zgov-portal"]
    env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ZGOV_PUBLIC_URL"] == "https://portal.ziyang.example.invalid"
    assert env["ZGOV_SECURE_COOKIES"] == "true" and env["ZGOV_TRUST_FORWARDED_FOR"] == "true"
    assert (env["ZGOV_HTTP_HOST"], env["ZGOV_HTTP_PORT"]) == ("0.0.0.0", "8000")
    (ingress,) = of_kind(rendered([ALL_SERVICES]), "Ingress").values()
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "zgov-portal", "port": {"name": "http"}}


def test_the_portal_behind_a_gateway_api_route_instead_of_its_ingress(helm, tmp_path):
    """Gateway API beside or instead of ingress-nginx (issue 19): an HTTPRoute to the portal's HTTP port
    on the Gateway the operators name; with `portal.ingress: false` the route alone publishes it."""
    f = tmp_path / "gateway.yaml"
    f.write_text(
        "portal:\n  ingress: false\n  httpRoute:\n    enabled: true\n    parentRefs:\n"
        "      - {name: public, namespace: gateway-system, sectionName: https}\n"
    )
    docs = rendered([ALL_SERVICES, f])
    assert of_kind(docs, "Ingress") == {}
    (route,) = of_kind(docs, "HTTPRoute").values()
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["spec"]["parentRefs"] == [
        {"name": "public", "namespace": "gateway-system", "sectionName": "https"}
    ]
    assert route["spec"]["hostnames"] == ["portal.ziyang.example.invalid"]
    (rule,) = route["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    service = of_kind(docs, "Service")["zgov-portal"]
    http = next(port for port in service["spec"]["ports"] if port["name"] == "http")
    assert rule["backendRefs"] == [{"name": "zgov-portal", "port": http["port"]}]


def test_a_gateway_api_route_needs_its_gateway(helm, tmp_path):
    f = tmp_path / "gateway.yaml"
    f.write_text("portal:\n  httpRoute:\n    enabled: true\n")
    with pytest.raises(tools.ToolError, match="parentRefs"):
        tools.helm_template([ALL_SERVICES, f])


def test_calendar_feeds_are_reachable_only_from_the_peers_named(helm):
    policies = of_kind(rendered([ALL_SERVICES]), "NetworkPolicy")
    rules = [r for r in policies["zgov-meetings"]["spec"]["ingress"] if r["ports"][0]["port"] == 8052]
    assert [r["from"] for r in rules] == [
        [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    ]
    assert not [
        r
        for r in of_kind(rendered([]), "NetworkPolicy")["zgov-meetings"]["spec"]["ingress"] or []
        if r["ports"][0]["port"] == 8052
    ]


def test_infra_chart_declares_the_established_charts_behind_condition_flags(helm):
    infra = CHART.parent / "zgov-infra"
    chart = yaml.safe_load((infra / "Chart.yaml").read_text())
    infra_values = yaml.safe_load((infra / "values.yaml").read_text())
    deps = {d.get("alias", d["name"]): d for d in chart["dependencies"]}
    assert set(deps) == {"cnpg", "nats", "keycloakx"}
    for name, dep in deps.items():
        assert dep["condition"] == f"{name}.enabled"
        assert isinstance(infra_values[name]["enabled"], bool)
        assert re.fullmatch(r"\d+\.\d+\.\d+", dep["version"]), "an exact version, locked when vendored"
    # Not vendored here: lint names exactly the missing dependencies and nothing else.
    lint = subprocess.run([str(helm), "lint", str(infra)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    warnings = [line for line in lint.stdout.splitlines() if "[WARNING]" in line or "[ERROR]" in line]
    assert len(warnings) == 1 and "missing these dependencies" in warnings[0]


def test_deployment_environment_is_a_valid_service_configuration(helm, monkeypatch):
    """Every variable the chart sets is one the service's settings read, and together they validate."""
    from deploy.local.nats_auth import new_seed
    from shared.config import ServiceSettings, variables

    for name, dep in of_kind(rendered([ALL_SERVICES]), "Deployment").items():
        service = name.removeprefix("zgov-")
        settings_class = _settings_class(service)
        known = {name for name, *_ in variables(settings_class)}
        required = {name for name, is_required, *_ in variables(settings_class) if is_required}
        # what operators put in the Secrets
        secrets = {
            "ZGOV_DATABASE_URL": f"postgresql+asyncpg://u:p@db:5432/{service}",
            "ZGOV_CLIENT_SECRET": "s3cret",
            "ZGOV_NATS_NKEY_SEED": new_seed(),
        }
        env = {
            e["name"]: secrets[e["name"]] if "valueFrom" in e else e["value"]
            for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]
            if e["name"] != "ZGOV_EXAMPLE_FLAG"  # the test values' free-form extra variable
            and not e["name"].startswith("OTEL_")  # read by the OpenTelemetry SDK itself
            # a service not written yet declares no callee addresses
            and not (settings_class is ServiceSettings and e["name"].endswith("_ADDRESS"))
        }
        assert set(env) <= known, f"{name} sets variables its settings do not read: {set(env) - known}"
        assert required <= set(env), name
        for key in known:
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = settings_class()
        expected_port = 0 if service in STATELESS_HTTP else 50051
        assert (settings.service_name, settings.grpc_port) == (service, expected_port)


def test_services_reach_nats_over_tls_as_their_own_user(helm, tmp_path):
    """The seed comes from the service's own Secret, the server's CA from the CA Secret, mounted
    read-only where ZGOV_NATS_CA_FILE says; with TLS off (an operator's choice) no CA is mounted."""
    for name, dep in of_kind(rendered([ALL_SERVICES]), "Deployment").items():
        pod = dep["spec"]["template"]["spec"]
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        if name.removeprefix("zgov-") in STATELESS_HTTP:
            assert "nats-ca" not in volumes, name
            continue
        assert env["ZGOV_NATS_URL"]["value"].startswith("tls://"), name
        assert env["ZGOV_NATS_CA_FILE"]["value"] == "/etc/zgov/nats-ca/ca.crt", name
        mount = {m["name"]: m for m in pod["containers"][0]["volumeMounts"]}["nats-ca"]
        assert mount == {"name": "nats-ca", "mountPath": "/etc/zgov/nats-ca", "readOnly": True}, name
        assert volumes["nats-ca"]["secret"]["secretName"] == "zgov-nats-ca", name
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        "nats:\n  url: nats://nats:4222\n  tls:\n    enabled: false\n"
        "services:\n  documents:\n    natsCredentials:\n      secretName: documents-nats-user\n"
    )
    dep = of_kind(rendered([plain]), "Deployment")["zgov-documents"]
    env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "ZGOV_NATS_CA_FILE" not in env
    assert env["ZGOV_NATS_NKEY_SEED"]["valueFrom"]["secretKeyRef"]["name"] == "documents-nats-user"


def test_every_service_is_told_which_calls_to_trace(helm):
    for name, dep in of_kind(rendered([ALL_SERVICES]), "Deployment").items():
        env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio", name
        assert env["OTEL_TRACES_SAMPLER_ARG"] == "0.25", name


def _settings_class(service: str) -> type:
    """The service's own settings (services/<name>/config.py), or the common ones for a
    service not written yet."""
    import importlib
    import inspect

    from shared.config import ServiceSettings

    try:
        module = importlib.import_module(f"services.{service}.config")
    except ModuleNotFoundError:
        return ServiceSettings
    found = [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, ServiceSettings)
        and cls is not ServiceSettings
        and cls.__module__ == module.__name__
    ]
    assert len(found) == 1, f"services/{service}/config.py should define one settings class, found {found}"
    return found[0]
