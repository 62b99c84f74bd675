"""Every golden render is valid against the Kubernetes API schemas of the oldest and the newest
supported version, offline (the schemas bundled in the kubernetes-validate package, strict: an
unknown field is an error). tests/deploy/test_kube_real.py adds a real API server (1.34).

kubeconform is not used: it would need its schemas fetched at run time from a repository that is
not reachable here; kubernetes-validate ships the same JSON schemas inside its wheel.
"""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from deploy.local import tools

# Chart.yaml's kubeVersion admits older ones; these are the versions operators run and CI checks.
OLDEST, NEWEST = "1.30.0", "1.37.0"


@pytest.mark.parametrize("version", [OLDEST, NEWEST])
@pytest.mark.parametrize("case", sorted(tools.GOLDEN_CASES))
def test_golden_render_is_valid_for_kubernetes(case, version):
    docs = [d for d in yaml.safe_load_all((tools.GOLDEN / f"{case}.yaml").read_text()) if d]
    invalid = []
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            invalid.append(f"{doc['kind']}/{doc['metadata']['name']}: {error.message}")
    assert invalid == []
