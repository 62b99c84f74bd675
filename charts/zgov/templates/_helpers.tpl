{{/*
Shared helpers. Every per-service template ranges over `zgov.enabledServices` and calls the
helpers below with a context dict: (dict "root" $ "name" <service> "svc" <settings>), where
the settings are `defaults` deep-merged with the service's own entry (its keys win, lists replace).
*/}}

{{/* Chart label value: name-version. */}}
{{- define "zgov.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of a service's objects: <release>-<service>. */}}
{{- define "zgov.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The enabled services in a stable order, as a YAML list of names; callers turn it back with
fromYamlArray. Unknown names in a caller list fail the render, so a typo cannot silently
open or close a flow.
*/}}
{{- define "zgov.enabledServices" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- range $caller := ($svc.callers | default list) -}}
{{- if not (hasKey $.Values.services $caller) -}}
{{- fail (printf "services.%s.callers names %q, which is not a service" $name $caller) -}}
{{- end -}}
{{- end -}}
{{- if $svc.enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- toYaml (sortAlpha $names) -}}
{{- end -}}

{{/* Selector labels of a service's pods. */}}
{{- define "zgov.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Labels of every object of a service. */}}
{{- define "zgov.labels" -}}
{{ include "zgov.selectorLabels" . }}
app.kubernetes.io/part-of: zgov
app.kubernetes.io/component: service
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "zgov.chart" .root }}
{{- end -}}

{{/* Labels of release-wide objects (policies, the realm job). */}}
{{- define "zgov.releaseLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: zgov
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "zgov.chart" . }}
{{- end -}}

{{/* The image by digest when one is set (repository@sha256:...), else by tag. */}}
{{- define "zgov.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "zgov.databaseSecret" -}}
{{- .svc.database.secretName | default (printf "%s-%s-database" .root.Release.Name .name) -}}
{{- end -}}

{{- define "zgov.clientSecret" -}}
{{- .svc.clientSecret.secretName | default (printf "%s-%s-keycloak-client" .root.Release.Name .name) -}}
{{- end -}}

{{- define "zgov.natsSecret" -}}
{{- .svc.natsCredentials.secretName | default (printf "%s-%s-nats" .root.Release.Name .name) -}}
{{- end -}}

{{/* Environment variable holding a client's secret in the realm job: ZGOV_<SERVICE>_CLIENT_SECRET. */}}
{{- define "zgov.clientSecretEnv" -}}
{{- printf "ZGOV_%s_CLIENT_SECRET" (upper .) -}}
{{- end -}}

{{/* Egress to name resolution; every pod of the release needs it. */}}
{{- define "zgov.dnsEgress" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.networkPolicy.dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .Values.networkPolicy.dns.podSelector | nindent 8 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}

{{/* Egress to Keycloak (JWKS, client-credential tokens, the realm job's admin API). */}}
{{- define "zgov.keycloakEgress" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.backingServices.namespaceSelector | nindent 8 }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.keycloak.podSelector | nindent 10 }}
    {{- with .Values.keycloak.egressCidrs }}
    {{- include "zgov.cidrPeers" . | nindent 4 }}
    {{- end }}
  ports:
    - protocol: TCP
      port: {{ .Values.keycloak.port }}
{{- end -}}

{{/* Egress to PostgreSQL: its pods in the cluster, and address ranges outside it. */}}
{{- define "zgov.postgresqlEgress" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.backingServices.namespaceSelector | nindent 8 }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.backingServices.postgresqlPodSelector | nindent 10 }}
    {{- if .Values.pgbouncer.enabled }}
    - namespaceSelector:
        {{- toYaml .Values.backingServices.namespaceSelector | nindent 8 }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.backingServices.pgbouncerPodSelector | nindent 10 }}
    {{- end }}
    {{- with .Values.postgresql.egressCidrs }}
    {{- include "zgov.cidrPeers" . | nindent 4 }}
    {{- end }}
  ports:
    - protocol: TCP
      port: {{ .Values.postgresql.port }}
{{- end -}}

{{/* NetworkPolicy peers for address ranges outside the cluster (a managed database, say). */}}
{{- define "zgov.cidrPeers" -}}
{{- range $i, $cidr := . }}
{{- if $i }}{{ "\n" }}{{ end -}}
- ipBlock:
    cidr: {{ $cidr }}
{{- end }}
{{- end -}}
