#!/usr/bin/env bash
# Registers a garden-apiserver running with --api-profile aggregated on this machine with a local garden
# kube-apiserver (garden-apiserver --api-profile kube): what the garden control-plane chart does on a real cluster.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/register-aggregated-apiserver.sh --kubeconfig FILE --port PORT --ca-file FILE [--user NAME]

Applies, with kubectl and the admin KUBECONFIG of the garden kube-apiserver:
  - RBAC for the aggregated server's user (default system:garden-apiserver): system:auth-delegator
    (TokenReview, SubjectAccessReview), kube-system's extension-apiserver-authentication-reader, and reading
    namespaces, secrets, configmaps and serviceaccounts (admission);
  - Service garden/garden-apiserver (port 443) with Endpoints 127.0.0.1:PORT (no kube-proxy here: the
    aggregator dials the endpoint, as kube-aggregator does with --enable-aggregator-routing);
  - an APIService per group-version the aggregated server serves, trusting the CA in --ca-file, which must
    have signed its serving certificate for garden-apiserver.garden.svc.
Idempotent (kubectl apply).
USAGE
}

KUBECONFIG_FILE="" PORT="" CA_FILE="" USER_NAME="system:garden-apiserver"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --kubeconfig) KUBECONFIG_FILE="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --ca-file) CA_FILE="$2"; shift 2 ;;
    --user) USER_NAME="$2"; shift 2 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ -n "$KUBECONFIG_FILE" && -n "$PORT" && -n "$CA_FILE" ]] || { usage >&2; exit 2; }
[[ -s "$CA_FILE" ]] || { echo "no CA certificate in $CA_FILE" >&2; exit 1; }
CA_BUNDLE="$(base64 -w0 <"$CA_FILE")"

apiservice() {
  local group="$1" version="$2" priority="$3"
  cat <<YAML
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: $version.$group
spec:
  group: $group
  version: $version
  groupPriorityMinimum: 10000
  versionPriority: $priority
  caBundle: $CA_BUNDLE
  service: {namespace: garden, name: garden-apiserver, port: 443}
YAML
}

{
  cat <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: garden-apiserver:auth-delegator
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:auth-delegator}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "$USER_NAME"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: garden-apiserver:authentication-reader
  namespace: kube-system
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "$USER_NAME"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: garden-apiserver:core-reader
rules:
- apiGroups: [""]
  resources: [namespaces, secrets, configmaps, serviceaccounts]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: garden-apiserver:core-reader
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: garden-apiserver:core-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "$USER_NAME"}]
---
apiVersion: v1
kind: Service
metadata: {name: garden-apiserver, namespace: garden}
spec:
  ports: [{name: https, port: 443, targetPort: $PORT}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: garden-apiserver, namespace: garden}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: https, port: $PORT}]
YAML
  apiservice core.gardener.cloud v1beta1 20
  apiservice security.gardener.cloud v1alpha1 10
  apiservice extensions.gardener.cloud v1alpha1 10
  apiservice machine.sapcloud.io v1alpha1 10
} | kubectl --kubeconfig "$KUBECONFIG_FILE" apply -f - >/dev/null
echo "registered the aggregated garden-apiserver on 127.0.0.1:$PORT (4 APIServices)"
