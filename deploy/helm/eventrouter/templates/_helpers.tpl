{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "eventrouter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: the release name when it already contains the chart name. */}}
{{- define "eventrouter.fullname" -}}
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

{{- define "eventrouter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "eventrouter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eventrouter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eventrouter.labels" -}}
helm.sh/chart: {{ include "eventrouter.chart" . }}
{{ include "eventrouter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: eventrouter
{{- end }}

{{- define "eventrouter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "eventrouter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "eventrouter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Does the configuration need the namespaced Role (Lease and/or checkpoint ConfigMap)? */}}
{{- define "eventrouter.needsRole" -}}
{{- if or .Values.config.leaderElection.enabled (eq .Values.config.checkpoint.store "configmap") }}true{{ end }}
{{- end }}

{{/*
The leader Lease and the checkpoint ConfigMap: named after the release unless set, so that two
releases in one namespace neither share a Lease (one would stand by forever) nor overwrite each
other's checkpoint. The release "eventrouter" gets the kustomize base's names.
*/}}
{{- define "eventrouter.leaseName" -}}
{{- .Values.config.leaderElection.leaseName | default (include "eventrouter.fullname" .) }}
{{- end }}
{{- define "eventrouter.checkpointConfigMap" -}}
{{- .Values.config.checkpoint.configMapName | default (printf "%s-checkpoint" (include "eventrouter.fullname" .)) }}
{{- end }}

{{/* The router's listen address, from service.port (the one source of the port). */}}
{{- define "eventrouter.listen" -}}
{{- printf "0.0.0.0:%d" (int .Values.service.port) }}
{{- end }}

{{/*
The configuration rendered into config.yaml: values.config with server.listen derived from
service.port, so the port the router listens on, the container port, the probes and the
Service cannot disagree (a config.server.listen that says otherwise is refused), and the Lease
and checkpoint names the Role grants (eventrouter.leaseName, eventrouter.checkpointConfigMap).
*/}}
{{- define "eventrouter.config" -}}
{{- $config := deepCopy .Values.config }}
{{- $listen := include "eventrouter.listen" . }}
{{- $server := $config.server | default dict }}
{{- if and (hasKey $server "listen") (ne (toString $server.listen) $listen) }}
{{- fail (printf "config.server.listen %q disagrees with service.port %v: leave config.server.listen unset, the chart derives it (%s) from service.port" (toString $server.listen) .Values.service.port $listen) }}
{{- end }}
{{- $_ := set $config "server" (merge (dict "listen" $listen) $server) }}
{{- $_ = set $config.leaderElection "leaseName" (include "eventrouter.leaseName" .) }}
{{- $_ = set $config.checkpoint "configMapName" (include "eventrouter.checkpointConfigMap" .) }}
{{- toYaml $config }}
{{- end }}

{{/*
Combinations that cannot work, refused at install time with what to do instead (rendered by
deployment.yaml, so `helm template` / `helm install` stop before anything is applied).
*/}}
{{- define "eventrouter.validate" -}}
{{- $config := .Values.config }}
{{- $replicas := int .Values.replicaCount }}
{{- $store := $config.checkpoint.store | default "file" }}
{{- if not (semverCompare ">=3.18.0-0" .Capabilities.HelmVersion.Version) }}
{{- fail (printf "this chart needs Helm >= 3.18.0 (values.schema.json is JSON Schema draft 2020-12); this is Helm %s" .Capabilities.HelmVersion.Version) }}
{{- end }}
{{- if and (gt $replicas 1) (not $config.leaderElection.enabled) }}
{{- fail "replicaCount > 1 needs config.leaderElection.enabled: true (otherwise every replica exports every event)" }}
{{- end }}
{{- if and (gt $replicas 1) (eq $store "file") }}
{{- fail "replicaCount > 1 needs config.checkpoint.store: configmap (with store: file each replica keeps its own checkpoint, so a failover resumes from a stale or empty one)" }}
{{- end }}
{{- if and (eq $store "file") (not .Values.persistence.enabled) }}
{{- fail "config.checkpoint.store: file needs persistence.enabled: true (a PersistentVolumeClaim); without it the checkpoint lives in an emptyDir and every reschedule re-sends everything. Or use store: configmap (the default)" }}
{{- end }}
{{- if and (eq $store "file") (not (hasPrefix "/var/lib/eventrouter/" $config.checkpoint.path)) }}
{{- fail (printf "config.checkpoint.path %q must be under /var/lib/eventrouter/ (the checkpoint volume; the root filesystem is read-only)" $config.checkpoint.path) }}
{{- end }}
{{- if and .Values.persistence.enabled (ne $store "file") }}
{{- fail (printf "persistence.enabled is for config.checkpoint.store: file; store is %q, so the volume would be unused" $store) }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (hasKey ($config.server | default dict) "metricsListen") }}
{{- fail (printf "serviceMonitor.enabled scrapes /metrics on service.port, but config.server.metricsListen %q moves /metrics off it: unset one of them" (toString $config.server.metricsListen)) }}
{{- end }}
{{- if .Values.rbac.create }}
{{- range $key, $ns := dict "config.leaderElection.leaseNamespace" $config.leaderElection.leaseNamespace "config.checkpoint.namespace" $config.checkpoint.namespace }}
{{- if and $ns (ne $ns $.Release.Namespace) }}
{{- fail (printf "%s %q: the chart's Role covers the release namespace %q only; leave it empty, or set rbac.create: false and grant the Role there yourself" $key $ns $.Release.Namespace) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
