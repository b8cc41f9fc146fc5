{{/*
The chart name (nameOverride wins).
*/}}
{{- define "gardener-extension-provider-openstack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The fully qualified name of the release's objects (fullnameOverride wins; the release name alone when it
already contains the chart name).
*/}}
{{- define "gardener-extension-provider-openstack.fullname" -}}
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
A name derived from the full name: (include "gardener-extension-provider-openstack.component" (list . "suffix")).
*/}}
{{- define "gardener-extension-provider-openstack.component" -}}
{{- $root := index . 0 }}
{{- printf "%s-%s" (include "gardener-extension-provider-openstack.fullname" $root | trunc 45 | trimSuffix "-") (index . 1) }}
{{- end }}

{{/*
Chart label value.
*/}}
{{- define "gardener-extension-provider-openstack.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "gardener-extension-provider-openstack.labels" -}}
helm.sh/chart: {{ include "gardener-extension-provider-openstack.chart" . }}
{{ include "gardener-extension-provider-openstack.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: provider-extension
app.kubernetes.io/part-of: garden
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels (the Deployment's selector, a subset of the pod labels).
*/}}
{{- define "gardener-extension-provider-openstack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gardener-extension-provider-openstack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount of the pod.
*/}}
{{- define "gardener-extension-provider-openstack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gardener-extension-provider-openstack.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The container image: repository:tag, the tag defaulting to the chart's appVersion.
*/}}
{{- define "gardener-extension-provider-openstack.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
The seed API kubeconfig (--kubeconfig): mounted at gardener-extension-provider-openstack.kubeconfigDir/kubeconfig from the in-cluster ConfigMap
or the given Secret.
*/}}
{{- define "gardener-extension-provider-openstack.kubeconfigDir" -}}/etc/gardener-extension-provider-openstack/kubeconfig{{- end }}

{{/*
A kubeconfig for the cluster the pod runs in, through the pod's ServiceAccount token (the binaries read only
kubeconfig files, no in-cluster configuration). kube-rs re-reads the token file, so rotated tokens are picked up.
*/}}
{{- define "gardener-extension-provider-openstack.inClusterKubeconfig" -}}
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
Checks of the kubeconfig values the schema cannot express.
*/}}
{{- define "gardener-extension-provider-openstack.validateKubeconfig" -}}
{{- $k := .Values.kubeconfig }}
{{- if and (eq $k.source "secret") (not $k.existingSecret.name) }}
{{- fail "kubeconfig.source is secret: kubeconfig.existingSecret.name is required" }}
{{- end }}
{{- if and (ne $k.source "secret") $k.existingSecret.name }}
{{- fail (printf "kubeconfig.existingSecret.name is only used with kubeconfig.source secret (source is %s)" $k.source) }}
{{- end }}
{{- end }}
