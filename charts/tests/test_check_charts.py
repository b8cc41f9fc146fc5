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
     'selectorLabels" . | nindent 4 }}\n    extra: label', "matches no Deployment's or StatefulSet's pod labels"),
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
    # garden-controlplane: APIServices, the serving certificate, etcd, the other binaries.
    ("garden-controlplane", "templates/apiservices.yaml", 'name: {{ include "garden-controlplane.apiserverService" $ }}',
     'name: {{ include "garden-controlplane.apiserverService" $ }}-typo', "spec.service names no Service of the release"),
    ("garden-controlplane", "templates/apiservices.yaml", "port: {{ $.Values.apiserver.service.port }}", "port: 444",
     "spec.service port 444 is no port of Service"),
    ("garden-controlplane", "templates/_helpers.tpl", '$out := dict "crt" $t.crt "key" $t.key "ca" $t.caBundle',
     # Another CA with the same name as the one in ci/external-etcd-own-certs.yaml: only the signature tells.
     '$out := dict "crt" $t.crt "key" $t.key "ca" (genCA "garden-controlplane-ci-ca" 365).Cert',
     "no CA of its caBundle (CN=garden-controlplane-ci-ca) signed the serving certificate"),
    ("garden-controlplane", "templates/apiservices.yaml", 'name: {{ printf "%s.%s" $version $group }}',
     'name: {{ printf "%s-%s" $version $group }}', "its name is not <version>.<group>"),
    ("garden-controlplane", "templates/_helpers.tpl",
     '(printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns)',
     '(printf "%s.%s.svc.cluster.local" $svc $ns)', "lack garden-test-garden-controlplane-apiserver.garden.svc"),
    ("garden-controlplane", "templates/apiserver-tls-secret.yaml", "tls.key: {{ $tls.key | b64enc | quote }}",
     'tls.key: {{ genPrivateKey "ecdsa" | b64enc | quote }}', "does not match its certificate"),
    ("garden-controlplane", "templates/_helpers.tpl", "- v1alpha1 security.gardener.cloud 10",
     "- v1beta1 security.gardener.cloud 10", "v1beta1.security.gardener.cloud is not served by garden-apiserver"),
    ("garden-controlplane", "templates/_helpers.tpl", "- v1alpha1 extensions.gardener.cloud 10\n", "",
     "v1alpha1.extensions.gardener.cloud: garden-apiserver serves it, but the release has no APIService"),
    ("garden-controlplane", "templates/apiserver-deployment.yaml",
     "path: /livez\n              port: https\n              scheme: HTTPS\n", "path: /livez\n              port: https\n",
     "livenessProbe uses HTTP on port 'https', which serves HTTPS (--secure-port)"),
    ("garden-controlplane", "templates/apiserver-rbac.yaml", "name: extension-apiserver-authentication-reader",
     "name: extension-apiserver-authn-reader", "roleRef Role/extension-apiserver-authn-reader not rendered"),
    ("garden-controlplane", "templates/_helpers.tpl",
     'printf "http://%s.%s.svc:2379" (include "garden-controlplane.etcdClientService" .)',
     'printf "http://%s.%s.svc:2379" (include "garden-controlplane.etcdName" .)',
     "Service garden-test-garden-controlplane-etcd is not rendered"),
    ("garden-controlplane", "templates/etcd-networkpolicy.yaml", '(list . "apiserver") | nindent 14',
     '(list . "api-server") | nindent 14', "ingress from podSelector"),
    ("garden-controlplane", "templates/etcd-networkpolicy.yaml", "- port: client", "- port: etcd-client",
     "ingress port 'etcd-client' is no container port"),
    ("garden-controlplane", "templates/_helpers.tpl", "/var/etcd/data{{- end }}", "/tmp/etcd{{- end }}",
     "--data-dir=/tmp/etcd is not on a persistent volume"),
    ("garden-controlplane", "templates/etcd-statefulset.yaml", "--listen-client-urls=", "--listen-client-url=",
     "--listen-client-url: not a flag of the binary etcd"),
    ("garden-controlplane", "templates/etcd-statefulset.yaml", "--initial-cluster={{ $member }}=",
     "--initial-cluster=etcd=", "--initial-cluster gives member"),
    ("garden-controlplane", "templates/etcd-statefulset.yaml",
     'serviceName: {{ include "garden-controlplane.etcdHeadlessService" . }}',
     'serviceName: {{ include "garden-controlplane.etcdClientService" . }}',
     "is not a headless Service selecting its pods"),
    ("garden-controlplane", "templates/etcd-statefulset.yaml", "- /usr/local/bin/etcd\n",
     "- /usr/local/bin/etcd-backup\n", "command must run etcd"),
    ("garden-controlplane", "templates/controller-manager-deployment.yaml",
     "--seed-grace-period={{ $c.seedGracePeriod }}", "--seed-grace-period=1m30s",
     "not a duration of seedlifecycle::parse_duration"),
    ("garden-controlplane", "templates/apiserver-pdb.yaml", "maxUnavailable: {{ .Values.apiserver.podDisruptionBudget.maxUnavailable }}",
     "maxUnavailable: 0", "it blocks every node drain"),
    ("garden-controlplane", "values.yaml", "repository: garden/etcd-backup", "repository: garden/etcd",
     "etcd.image default must be garden/etcd-backup"),
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
