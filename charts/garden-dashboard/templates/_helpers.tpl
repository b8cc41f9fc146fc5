{{/*
The chart name (nameOverride wins).
*/}}
{{- define "garden-dashboard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the release's objects (fullnameOverride wins; the release name alone when it
already contains the chart name).
*/}}
{{- define "garden-dashboard.fullname" -}}
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
A name derived from the full name: (include "garden-dashboard.component" (list . "suffix")).
*/}}
{{- define "garden-dashboard.component" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "garden-dashboard.fullname" $root | trunc 45 | trimSuffix "-") (index . 1) }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "garden-dashboard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "garden-dashboard.labels" -}}
helm.sh/chart: {{ include "garden-dashboard.chart" . }}
{{ include "garden-dashboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: dashboard
app.kubernetes.io/part-of: garden
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels (the Deployment's selector, a subset of the pod labels).
*/}}
{{- define "garden-dashboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "garden-dashboard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount of the pod.
*/}}
{{- define "garden-dashboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "garden-dashboard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The container image: repository:tag, the tag defaulting to the chart's appVersion.
*/}}
{{- define "garden-dashboard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The Secret of the session key, and its key.
*/}}
{{- define "garden-dashboard.sessionKeySecret" -}}
{{- default (include "garden-dashboard.component" (list . "session-key")) .Values.session.key.existingSecret.name }}
{{- end }}
{{- define "garden-dashboard.sessionKeyKey" -}}
{{- if .Values.session.key.existingSecret.name }}
{{- .Values.session.key.existingSecret.key }}
{{- else }}
{{- "session.key" }}
{{- end }}
{{- end }}

{{/*
Where the garden CA comes from: bundle (a ConfigMap rendered here), configMap or secret; empty: none.
*/}}
{{- define "garden-dashboard.caSource" -}}
{{- $ca := .Values.garden.ca }}
{{- if $ca.bundle }}bundle{{ else if $ca.configMap.name }}configMap{{ else if $ca.secret.name }}secret{{ end }}
{{- end }}

{{/*
Checks the schema cannot express.
*/}}
{{- define "garden-dashboard.validate" -}}
{{- $ca := .Values.garden.ca }}
{{- $n := 0 }}
{{- if $ca.bundle }}{{ $n = add1 $n }}{{ end }}
{{- if $ca.configMap.name }}{{ $n = add1 $n }}{{ end }}
{{- if $ca.secret.name }}{{ $n = add1 $n }}{{ end }}
{{- if gt $n 1 }}
{{- fail "garden.ca: set at most one of bundle, configMap.name and secret.name" }}
{{- end }}
{{- if and $ca.bundle (not (contains "-----BEGIN CERTIFICATE-----" $ca.bundle)) }}
{{- fail "garden.ca.bundle holds no PEM certificate" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled: ingress.host is required" }}
{{- end }}
{{- end }}

{{/*
Mount points.
*/}}
{{- define "garden-dashboard.caDir" -}}/etc/garden-dashboard/garden-ca{{- end }}
{{- define "garden-dashboard.sessionDir" -}}/etc/garden-dashboard/session{{- end }}
