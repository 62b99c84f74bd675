"""deploy/otel/collector.yaml is a coherent collector configuration (no collector binary here:
the checks are the ones `otelcol validate` starts with)."""

import yaml

from deploy.local.tools import ROOT

CONFIG = yaml.safe_load((ROOT / "deploy" / "otel" / "collector.yaml").read_text())


def test_every_pipeline_uses_only_declared_components():
    for name, pipeline in CONFIG["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            assert set(pipeline[kind]) <= set(CONFIG[kind]), (name, kind)
    assert set(CONFIG["service"]["extensions"]) <= set(CONFIG["extensions"])


def test_traces_come_in_by_otlp_and_go_out_to_debug_and_otlp():
    traces = CONFIG["service"]["pipelines"]["traces"]
    assert traces["receivers"] == ["otlp"]
    assert CONFIG["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].endswith(":4317")
    assert {e.split("/")[0] for e in traces["exporters"]} == {"debug", "otlp"}


def test_memory_limiter_first_and_batch_last_in_every_pipeline():
    for name, pipeline in CONFIG["service"]["pipelines"].items():
        assert pipeline["processors"][0] == "memory_limiter", name
        assert pipeline["processors"][-1] == "batch", name
