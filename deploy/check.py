#!/usr/bin/env python3
"""Renders the Helm chart with Helm's own engine (helm-python-sdk: Helm's Go
SDK behind a C ABI, no helm binary) and validates every manifest — the
chart's renders and deploy/k8s/*.yaml — against the Kubernetes API schemas
(kubernetes-validate, strict: unknown keys are errors). Writes each render to
OUT/<case>.yaml for cli/tests/deploy.rs, which runs their commands.
  python3 deploy/check.py OUT
Needs: pip install helm-python-sdk==0.2.2 kubernetes-validate==1.37.0
(scripts/test.sh installs both)."""
import glob
import os
import sys

import helm_python as helm
import kubernetes_validate
import yaml

K8S = "1.30.0"  # the oldest Kubernetes with backoffLimitPerIndex on by default
ROOT = os.path.dirname(os.path.abspath(__file__))
CHART = os.path.join(ROOT, "helm", "sdg")

# (case, values): what people set.
CASES = [
    ("job-default", {}),
    ("job-kafka", {"job": {"shards": 16, "parallelism": 4, "ttlSecondsAfterFinished": 3600, "extraArgs": ["--workers", "2"]},
                   "destination": {"secretName": "sdg-destination"},
                   "extraVolumes": [{"name": "out", "persistentVolumeClaim": {"claimName": "sdg-out"}}],
                   "extraVolumeMounts": [{"name": "out", "mountPath": "/out"}]}),
    ("serve-default", {"mode": "serve"}),
    ("serve-keys", {"mode": "serve", "serve": {"apiKeyHashes": {"secretName": "sdg-api-keys"},
                                                "persistence": {"enabled": False}}}),
]
# Values the chart must refuse, and a word of the error.
REFUSED = [
    ({"mode": "cluster"}, "mode"),
    ({"job": {"shards": 0}}, "shards"),
    ({"job": {"shards": 2, "parallelism": 4}}, "parallelism"),
]

failures = []


def validate(where, text):
    docs = [d for d in yaml.safe_load_all(text) if d]
    for d in docs:
        try:
            kubernetes_validate.validate(d, K8S, strict=True)
        except kubernetes_validate.ValidationError as e:
            failures.append(f"{where}: {d.get('kind')} {d.get('metadata', {}).get('name')}: {e.message} at {list(e.path)}")
    return docs


def main(out):
    os.makedirs(out, exist_ok=True)
    lint = helm.lint(CHART)
    for m in lint["errors"]:
        failures.append(f"helm lint: {m}")
    for m in lint["messages"]:
        if m["severity"] > 1:  # 1 is INFO
            failures.append(f"helm lint: {m['path']}: {m['error']}")
    with helm.Chart.load(CHART) as chart:
        for case, values in CASES:
            rendered = chart.render(values, name="sdg-load", namespace="load")
            text = "\n---\n".join(v for k, v in sorted(rendered.items()) if k.endswith(".yaml") and v.strip())
            docs = validate(f"chart {case}", text)
            kinds = sorted(d["kind"] for d in docs)
            print(f"chart {case}: {', '.join(kinds)}")
            with open(os.path.join(out, f"{case}.yaml"), "w") as f:
                f.write(text)
        for values, word in REFUSED:
            try:
                chart.validate_schema(values)
                chart.render(values, name="sdg-load", namespace="load")
                failures.append(f"chart accepted {values}")
            except helm.HelmError as e:
                if word not in str(e):
                    failures.append(f"chart refused {values} without naming {word}: {e}")
    for path in sorted(glob.glob(os.path.join(ROOT, "k8s", "*.yaml"))):
        with open(path) as f:
            docs = validate(os.path.relpath(path, ROOT), f.read())
        print(f"{os.path.relpath(path, ROOT)}: {', '.join(d['kind'] for d in docs)}")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "out/deploy"))
