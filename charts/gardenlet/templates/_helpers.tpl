{{/*
The chart name (nameOverride wins).
*/}}
{{- define "gardenlet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the release's objects (fullnameOverride wins; the release name alone when it
already contains the chart name).
*/}}
{{- define "gardenlet.fullname" -}}
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
A name derived from the full name: (include "gardenlet.component" (list . "config")).
*/}}
{{- define "gardenlet.component" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "gardenlet.fullname" $root | trunc 45 | trimSuffix "-") (index . 1) }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "gardenlet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "gardenlet.labels" -}}
helm.sh/chart: {{ include "gardenlet.chart" . }}
{{ include "gardenlet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: gardenlet
app.kubernetes.io/part-of: garden
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels (the Deployment's selector, a subset of the pod labels).
*/}}
{{- define "gardenlet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gardenlet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount of the pod.
*/}}
{{- define "gardenlet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gardenlet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The container image: repository:tag, the tag defaulting to the chart's appVersion.
*/}}
{{- define "gardenlet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The Secret holding the garden kubeconfig, and its key.
*/}}
{{- define "gardenlet.gardenKubeconfigSecret" -}}
{{- if .Values.gardenKubeconfig.existingSecret.name }}
{{- .Values.gardenKubeconfig.existingSecret.name }}
{{- else }}
{{- include "gardenlet.component" (list . "garden-kubeconfig") }}
{{- end }}
{{- end }}

{{- define "gardenlet.gardenKubeconfigKey" -}}
{{- if .Values.gardenKubeconfig.existingSecret.name }}
{{- .Values.gardenKubeconfig.existingSecret.key }}
{{- else }}
{{- "kubeconfig" }}
{{- end }}
{{- end }}

{{/*
Where the files the gardenlet reads are mounted.
*/}}
{{- define "gardenlet.configDir" -}}/etc/gardenlet/config{{- end }}
{{- define "gardenlet.gardenKubeconfigDir" -}}/etc/gardenlet/garden-kubeconfig{{- end }}
{{- define "gardenlet.seedKubeconfigDir" -}}/etc/gardenlet/seed-kubeconfig{{- end }}

{{/*
Cross-field checks the schema cannot express. Rendered (as nothing) by the Deployment.
*/}}
{{- define "gardenlet.validate" -}}
{{- $g := .Values.gardenKubeconfig }}
{{- if and $g.kubeconfig $g.existingSecret.name }}
{{- fail "gardenKubeconfig: set either kubeconfig or existingSecret.name, not both" }}
{{- end }}
{{- if not (or $g.kubeconfig $g.existingSecret.name) }}
{{- fail "gardenKubeconfig: the garden kubeconfig is required: set gardenKubeconfig.kubeconfig (inline) or gardenKubeconfig.existingSecret.name" }}
{{- end }}
{{- $s := .Values.seedKubeconfig }}
{{- if and (eq $s.source "secret") (not $s.existingSecret.name) }}
{{- fail "seedKubeconfig.source is secret: seedKubeconfig.existingSecret.name is required" }}
{{- end }}
{{- if and (ne $s.source "secret") $s.existingSecret.name }}
{{- fail (printf "seedKubeconfig.existingSecret.name is only used with seedKubeconfig.source secret (source is %s)" $s.source) }}
{{- end }}
{{- $c := .Values.config }}
{{- if lt (int64 $c.leaseDurationSeconds) (int64 $c.renewIntervalSeconds) }}
{{- fail (printf "config.leaseDurationSeconds (%v) must not be smaller than config.renewIntervalSeconds (%v)" $c.leaseDurationSeconds $c.renewIntervalSeconds) }}
{{- end }}
{{- end }}

{{/*
A kubeconfig for the cluster the pod runs in, through the pod's ServiceAccount token (the binaries read only
kubeconfig files, no in-cluster configuration). kube-rs re-reads the token file, so rotated tokens are picked up.
*/}}
{{- define "gardenlet.inClusterKubeconfig" -}}
apiVersion: v1
kind: Config
clusters:
  - name: in-cluster
    cluster:
      server: {{ .Values.seedKubeconfig.inClusterServer }}
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
The GardenletConfiguration file: the values' config, with the seed kubeconfig path the chart mounts.
*/}}
{{- define "gardenlet.configFile" -}}
{{- $cfg := deepCopy .Values.config }}
{{- $runtime := dict "type" $cfg.controlPlaneRuntime.type }}
{{- if ne .Values.seedKubeconfig.source "garden" }}
{{- $_ := set $runtime "seedKubeconfig" (printf "%s/kubeconfig" (include "gardenlet.seedKubeconfigDir" .)) }}
{{- end }}
{{- $_ := set $cfg "controlPlaneRuntime" $runtime }}
{{- $_ := set $cfg "apiVersion" "gardenlet.config.gardener.cloud/v1alpha1" }}
{{- $_ := set $cfg "kind" "GardenletConfiguration" }}
{{- toYaml $cfg }}
{{- end }}
