{{/*
The chart name (nameOverride wins).
*/}}
{{- define "garden-controlplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the release's objects (fullnameOverride wins; the release name alone when it
already contains the chart name).
*/}}
{{- define "garden-controlplane.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A name derived from the full name: (include "garden-controlplane.component" (list . "suffix")).
*/}}
{{- define "garden-controlplane.component" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "garden-controlplane.fullname" $root | trunc 40 | trimSuffix "-") (index . 1) }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "garden-controlplane.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object of a component: (include "garden-controlplane.labels" (list . "apiserver")). Objects
shared by the components have the component "controlplane".
*/}}
{{- define "garden-controlplane.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "garden-controlplane.chart" $root }}
app.kubernetes.io/name: {{ include "garden-controlplane.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ index . 1 }}
app.kubernetes.io/part-of: garden
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- end }}

{{/*
Selector labels of a component's pods (a subset of their labels): (list . "apiserver").
*/}}
{{- define "garden-controlplane.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "garden-controlplane.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/*
The ServiceAccounts of the pods.
*/}}
{{- define "garden-controlplane.apiserverServiceAccountName" -}}
{{- $sa := .Values.apiserver.serviceAccount }}
{{- if $sa.create }}
{{- default (include "garden-controlplane.component" (list . "apiserver")) $sa.name }}
{{- else }}
{{- required "apiserver.serviceAccount.name is required when apiserver.serviceAccount.create is false" $sa.name }}
{{- end }}
{{- end }}

{{- define "garden-controlplane.controllerManagerServiceAccountName" -}}
{{- $sa := .Values.controllerManager.serviceAccount }}
{{- if $sa.create }}
{{- default (include "garden-controlplane.component" (list . "controller-manager")) $sa.name }}
{{- else }}
{{- required "controllerManager.serviceAccount.name is required when controllerManager.serviceAccount.create is false" $sa.name }}
{{- end }}
{{- end }}

{{/*
A container image: (include "garden-controlplane.image" (list . .Values.apiserver.image)), the tag defaulting to
the chart's appVersion.
*/}}
{{- define "garden-controlplane.image" -}}
{{- $root := index . 0 -}}
{{- $image := index . 1 }}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) }}
{{- end }}

{{/*
The PriorityClass of the pods (empty: none).
*/}}
{{- define "garden-controlplane.priorityClassName" -}}
{{- if .Values.priorityClass.create }}
{{- .Values.priorityClass.name }}
{{- else }}
{{- .Values.priorityClassName }}
{{- end }}
{{- end }}

{{/*
A kubeconfig for the cluster the pods run in, through the pod's ServiceAccount token (the binaries read only
kubeconfig files, no in-cluster configuration). kube-rs re-reads the token file, so rotated tokens are picked up.
One ConfigMap serves both binaries: each pod mounts its own token at the same path.
*/}}
{{- define "garden-controlplane.inClusterKubeconfig" -}}
apiVersion: v1
kind: Config
clusters:
  - name: in-cluster
    cluster:
      server: {{ .Values.kubeconfig.inClusterServer }}
      certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
users:
  - name: service-account
    user:
      tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
contexts:
  - name: in-cluster
    context:
      cluster: in-cluster
      user: service-account
current-context: in-cluster
{{- end }}

{{/*
Names and mount points.
*/}}
{{- define "garden-controlplane.kubeconfigConfigMap" -}}
{{- include "garden-controlplane.component" (list . "kubeconfig") }}
{{- end }}
{{- define "garden-controlplane.apiserverService" -}}
{{- include "garden-controlplane.component" (list . "apiserver") }}
{{- end }}
{{- define "garden-controlplane.etcdName" -}}
{{- include "garden-controlplane.component" (list . "etcd") }}
{{- end }}
{{- define "garden-controlplane.etcdHeadlessService" -}}
{{- include "garden-controlplane.component" (list . "etcd-headless") }}
{{- end }}
{{- define "garden-controlplane.etcdClientService" -}}
{{- include "garden-controlplane.component" (list . "etcd-client") }}
{{- end }}
{{- define "garden-controlplane.apiserverConfigDir" -}}/etc/garden-apiserver{{- end }}
{{- define "garden-controlplane.controllerManagerConfigDir" -}}/etc/garden-controller-manager{{- end }}
{{- define "garden-controlplane.etcdDataDir" -}}/var/etcd/data{{- end }}

{{/*
The etcd URLs of garden-apiserver (--etcd-servers): the managed member's client Service, or the external ones.
*/}}
{{- define "garden-controlplane.etcdServers" -}}
{{- if .Values.etcd.managed }}
{{- printf "http://%s.%s.svc:2379" (include "garden-controlplane.etcdClientService" .) .Release.Namespace }}
{{- else }}
{{- join "," .Values.etcd.external.servers }}
{{- end }}
{{- end }}

{{/*
Where the serving certificate comes from: inline (crt/key in values, a Secret rendered here), existingSecret, or
generated (a CA and a certificate made here).
*/}}
{{- define "garden-controlplane.tlsSource" -}}
{{- $t := .Values.apiserver.tls }}
{{- if $t.existingSecret }}existingSecret{{ else if or $t.crt $t.key }}inline{{ else }}generated{{ end }}
{{- end }}

{{- define "garden-controlplane.tlsSecret" -}}
{{- if eq (include "garden-controlplane.tlsSource" .) "existingSecret" }}
{{- .Values.apiserver.tls.existingSecret }}
{{- else }}
{{- include "garden-controlplane.component" (list . "apiserver-tls") }}
{{- end }}
{{- end }}

{{/*
The serving certificate, its key and the CA bundle that verifies it, as YAML (crt, key, ca; crt and key empty
for existingSecret). A generated pair is made once per rendering and remembered in the root context, so that the
Secret, the APIServices and the pods' checksum all see the same one whichever template renders first.
*/}}
{{- define "garden-controlplane.tls" -}}
{{- if not (hasKey . "gardenControlplaneTLS") }}
{{- $t := .Values.apiserver.tls }}
{{- $src := include "garden-controlplane.tlsSource" . }}
{{- $out := dict "crt" $t.crt "key" $t.key "ca" $t.caBundle }}
{{- if eq $src "generated" }}
{{- $svc := include "garden-controlplane.apiserverService" . }}
{{- $ns := .Release.Namespace }}
{{- $names := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- $ca := genCA (printf "%s-ca" $svc) 3650 }}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc $ns) nil $names 3650 $ca }}
{{- $out = dict "crt" $cert.Cert "key" $cert.Key "ca" $ca.Cert }}
{{- end }}
{{- $_ := set . "gardenControlplaneTLS" $out }}
{{- end }}
{{- toYaml (get . "gardenControlplaneTLS") }}
{{- end }}

{{/*
The group/versions garden-apiserver serves (garden-apiserver/src/registry/gardener.rs and machine.rs) that get
an APIService, as a list of "version group versionPriority".
*/}}
{{- define "garden-controlplane.apiServices" -}}
- v1beta1 core.gardener.cloud 20
- v1alpha1 security.gardener.cloud 10
- v1alpha1 extensions.gardener.cloud 10
{{- if .Values.apiserver.apiServices.machine }}
- v1alpha1 machine.sapcloud.io 10
{{- end }}
{{- end }}

{{/*
Checks the schema cannot express.
*/}}
{{- define "garden-controlplane.validate" -}}
{{- $t := .Values.apiserver.tls }}
{{- if and $t.crt (not $t.key) }}
{{- fail "apiserver.tls.crt is set without apiserver.tls.key: give both (or neither, to have a certificate generated)" }}
{{- end }}
{{- if and $t.key (not $t.crt) }}
{{- fail "apiserver.tls.key is set without apiserver.tls.crt: give both (or neither, to have a certificate generated)" }}
{{- end }}
{{- if and $t.existingSecret (or $t.crt $t.key) }}
{{- fail "apiserver.tls: set either existingSecret or crt and key, not both" }}
{{- end }}
{{- if and (or $t.crt $t.existingSecret) (not $t.caBundle) }}
{{- fail "apiserver.tls.caBundle is required with apiserver.tls.crt or apiserver.tls.existingSecret: the APIServices need the CA that verifies the serving certificate" }}
{{- end }}
{{- if and $t.caBundle (not (or $t.crt $t.existingSecret)) }}
{{- fail "apiserver.tls.caBundle is set without apiserver.tls.crt or apiserver.tls.existingSecret: a generated certificate brings its own CA" }}
{{- end }}
{{- if and $t.crt (not (contains "-----BEGIN CERTIFICATE-----" $t.crt)) }}
{{- fail "apiserver.tls.crt holds no PEM certificate" }}
{{- end }}
{{- if and $t.key (not (regexMatch "-----BEGIN [A-Z ]*PRIVATE KEY-----" $t.key)) }}
{{- fail "apiserver.tls.key holds no PEM private key" }}
{{- end }}
{{- if and $t.caBundle (not (contains "-----BEGIN CERTIFICATE-----" $t.caBundle)) }}
{{- fail "apiserver.tls.caBundle holds no PEM certificate" }}
{{- end }}
{{- $servers := .Values.etcd.external.servers }}
{{- if and .Values.etcd.managed $servers }}
{{- fail "etcd: set either etcd.managed (the chart's etcd) or etcd.external.servers, not both" }}
{{- end }}
{{- if not (or .Values.etcd.managed $servers) }}
{{- fail "etcd: no etcd chosen: set etcd.managed true (the chart's etcd) or list etcd.external.servers" }}
{{- end }}
{{- if and .Values.priorityClass.create .Values.priorityClassName }}
{{- fail "priorityClassName is set together with priorityClass.create: the pods use the created class; set one of them" }}
{{- end }}
{{- end }}
