"""Every golden render is valid against the Kubernetes API schemas of the oldest and the newest
supported version, offline (the schemas bundled in the kubernetes-validate package, strict: an
unknown field is an error). tests/deploy/test_kube_real.py adds a real API server (1.34).

test_chart_kubeconform.py runs kubeconform on the same bundled schemas (offline too), for the same
two versions, on the renders with their custom resources as well.
"""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml

from deploy.local import tools

# Chart.yaml's kubeVersion admits older ones; these are the versions operators run and CI checks.
OLDEST, NEWEST = tools.OLDEST_KUBE_VERSION, tools.NEWEST_KUBE_VERSION


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
