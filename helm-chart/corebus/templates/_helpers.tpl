{{/* Name of the chart, or nameOverride. */}}
{{- define "corebus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or fullnameOverride; the release name alone when it already has the chart's. */}}
{{- define "corebus.fullname" -}}
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

{{- define "corebus.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of this chart. */}}
{{- define "corebus.labels" -}}
helm.sh/chart: {{ include "corebus.chart" . }}
{{ include "corebus.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: corebus
{{- end }}

{{/* The operator's pods. */}}
{{- define "corebus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "corebus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "corebus.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "corebus.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "corebus.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "corebus.runtimeImage" -}}
{{- default (printf "corebus/plugin-runtime:%s" .Chart.AppVersion) .Values.runtimeImage }}
{{- end }}

{{/* The namespaces the operator watches, as a JSON list ("[]" when it watches all). */}}
{{- define "corebus.watchedNamespaces" -}}
{{- if .Values.watchAllNamespaces }}
{{- list | toJson }}
{{- else if .Values.watchNamespaces }}
{{- .Values.watchNamespaces | uniq | toJson }}
{{- else }}
{{- list .Release.Namespace | toJson }}
{{- end }}
{{- end }}

{{/* The namespaces that get the plug-in pods' NetworkPolicy, as a JSON list. */}}
{{- define "corebus.pluginNamespaces" -}}
{{- if .Values.networkPolicy.plugins.namespaces }}
{{- .Values.networkPolicy.plugins.namespaces | uniq | toJson }}
{{- else if .Values.watchAllNamespaces }}
{{- list .Release.Namespace | toJson }}
{{- else }}
{{- include "corebus.watchedNamespaces" . }}
{{- end }}
{{- end }}

{{/* The labels the operator puts on every plug-in pod (io.corebus.operator.model.PluginNames). */}}
{{- define "corebus.pluginPodSelector" -}}
matchLabels:
  app.kubernetes.io/managed-by: corebus-operator
  app.kubernetes.io/component: plugin
{{- end }}
