#!/usr/bin/env python3
"""Checks the checker: each case breaks one thing in a copy of a chart and requires check_charts.py to fail on it
with the expected message (and the unbroken copy to pass). Run by hack/charts.sh after check_charts.py."""
from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_charts  # noqa: E402

# (chart, file, old text, new text, expected failure text). An empty file name adds a file `new` named by `old`.
CASES = [
    ("gardenlet", "templates/rbac.yaml", 'name: {{ include "gardenlet.serviceAccountName" . }}\n    namespace',
     'name: {{ include "gardenlet.serviceAccountName" . }}-typo\n    namespace', "is neither rendered nor named in values"),
    ("gardenlet", "templates/rbac.yaml", "  name: {{ include \"gardenlet.fullname\" . }}\nsubjects:",
     "  name: cluster-admin-typo\nsubjects:", "roleRef ClusterRole/cluster-admin-typo not rendered"),
    ("machine-controller", "templates/service.yaml", "targetPort: http", "targetPort: metrics",
     "targetPort 'metrics' is no container port"),
    ("machine-controller", "templates/service.yaml", 'selectorLabels" . | nindent 4 }}',
     'selectorLabels" . | nindent 4 }}\n    extra: label', "matches no Deployment's pod labels"),
    ("gardener-extension-provider-aws", "templates/deployment.yaml", "- --aws-endpoint=", "- --ec2-endpoint=",
     "--ec2-endpoint: not a flag of the binary"),
    ("gardener-extension-provider-local", "templates/deployment.yaml",
     '            - --kubeconfig={{ include "gardener-extension-provider-local.kubeconfigDir" . }}/kubeconfig\n', "",
     "required flag --kubeconfig missing"),
    ("gardenlet", "templates/deployment.yaml", "--log-format={{ .Values.logFormat }}", "--log-format=yaml",
     "--log-format=yaml: not one of"),
    ("garden-dashboard", "templates/deployment.yaml", "path: /healthz\n              port: http\n            initialDelaySeconds",
     "path: /healthz\n              port: 9999\n            initialDelaySeconds", "livenessProbe port 9999 is not a container port"),
    ("gardenlet", "templates/deployment.yaml", 'name: {{ include "gardenlet.component" (list . "config") }}',
     "name: gardenlet-cfg", "ConfigMap gardenlet-cfg neither rendered nor named in values"),
    ("gardenlet", "templates/configmap.yaml", "  config.yaml: |", "  gardenlet.yaml: |", "has no key config.yaml"),
    ("machine-controller", "templates/deployment.yaml", "--health-bind-address=0.0.0.0:", "--health-bind-address=127.0.0.1:",
     "is loopback"),
    ("gardenlet", "templates/_helpers.tpl", 'printf "%s/kubeconfig" (include "gardenlet.seedKubeconfigDir" .)',
     '"/etc/gardenlet/seed/kubeconfig"', "config seedKubeconfig /etc/gardenlet/seed/kubeconfig is no file"),
    ("gardenlet", "templates/deployment.yaml", 'automountServiceAccountToken: {{ eq .Values.seedKubeconfig.source "inCluster" }}',
     "automountServiceAccountToken: false", "uses the ServiceAccount token file but the token is not mounted"),
    ("machine-controller", "values.yaml", "repository: garden/machine-controller", "repository: garden/mcm",
     "image default must be garden/machine-controller"),
    ("machine-controller", "templates/deployment.yaml", "  strategy:\n", "  paused: maybe\n  strategy:\n",
     "schema (1.33, strict)"),
    ("gardenlet", "templates/_helpers.tpl", '{{- $_ := set $cfg "kind" "GardenletConfiguration" }}',
     '{{- $_ := set $cfg "kind" "GardenletConfiguration" }}\n{{- $_ := set $cfg "leaseDuration" 3 }}',
     "config.leaseDuration: unknown field of GardenletConfiguration"),
    ("garden-dashboard", "templates/secret.yaml", "randAlphaNum 32", "randAlphaNum 31", "the session key holds 31 bytes"),
    ("machine-controller", "ci/broken/renders.yaml", None, "# A broken file that is not broken.\n{}\n",
     "rendered, but these values are broken"),
    ("machine-controller", "ci/broken/unknown-provider.yaml", "# expect: provider", "# expect: no such text",
     "failed, but not with 'no such text'"),
    ("gardener-extension-provider-openstack", "values.yaml", "unreachable for probes).\nhealthPort:",
     "unreachable for probes).\n\nhealthPort:", "healthPort is not documented"),
    ("gardener-extension-provider-openstack", "values.yaml", "\n\n# -- Port of the plain-HTTP health endpoint",
     "\nx: 1\n# -- Port of the plain-HTTP health endpoint", "additional properties 'x' not allowed"),
    ("garden-dashboard", "templates/_helpers.tpl", "app.kubernetes.io/part-of: garden\n", "",
     "label app.kubernetes.io/part-of missing"),
    ("machine-controller", "values.yaml", "  readOnlyRootFilesystem: true", "  readOnlyRootFilesystem: false",
     "readOnlyRootFilesystem is not true"),
    ("machine-controller", "templates/deployment.yaml", "--retry-period={{ $c.retryPeriod }}", "--retry-period=5sec",
     "--retry-period=5sec: not a Go duration"),
    ("gardener-extension-provider-aws", "values.yaml", "  requests:\n    cpu: 50m\n    memory: 64Mi\n", "",
     "no resource requests"),
    ("garden-dashboard", "templates/ingress.yaml", "                  name: http", "                  name: web",
     "backend port {'name': 'web'} not a port of Service"),
    ("garden-dashboard", "templates/deployment.yaml", "- --session-key-file={{ include \"garden-dashboard.sessionDir\" . }}/session.key",
     "- --session-key-file=/etc/session.key", "--session-key-file=/etc/session.key is no file of a mounted"),
    ("garden-dashboard", "templates/deployment.yaml", "{{- if or .Values.garden.ca.bundle .Values.podAnnotations }}",
     "{{- if true }}", "/spec/template/metadata/annotations renders as null"),
    ("gardenlet", "Chart.yaml", 'appVersion: "0.1.0"', 'appVersion: "0.2.0"', "want 0.1.0"),
]


def run_case(src: Path, case) -> tuple[bool, str]:
    chart, rel, old, new, expected = case
    with tempfile.TemporaryDirectory() as tmp:
        dst = Path(tmp) / chart
        shutil.copytree(src / chart, dst)
        f = dst / rel
        if old is None:
            f.write_text(new)
        else:
            text = f.read_text()
            if old not in text:
                return False, f"the case's text {old!r} is not in {chart}/{rel}"
            f.write_text(text.replace(old, new, 1))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ok, summary = check_charts.check_chart(dst, verbose=False)
        log = out.getvalue() + summary
        if ok:
            return False, f"passed although {chart}/{rel} was broken (want {expected!r})"
        if expected not in log:
            return False, f"failed, but without {expected!r}:\n{log}"
        return True, next((line.strip() for line in log.splitlines() if expected in line), "")


def main() -> int:
    src = check_charts.CHARTS_DIR
    passed = failed = 0
    for case in CASES:
        ok, detail = run_case(src, case)
        label = f"{case[0]}/{case[1]}"
        if ok:
            passed += 1
            print(f"  caught: {label}: {detail[:160]}")
        else:
            failed += 1
            print(f"  MISSED: {label}: {detail}")
    print(f"checker self-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
