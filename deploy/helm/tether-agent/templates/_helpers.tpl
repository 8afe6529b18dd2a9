{{/* The agent's name: .Values.name, else the release name; a DNS label. */}}
{{- define "tether-agent.name" -}}
{{- $name := .Values.name | default .Release.Name -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" $name) -}}
{{- fail (printf "the agent name %q is not valid: set name to at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/* What every object is named: tether-agent-<name>, as `tether agent manifests` names them. */}}
{{- define "tether-agent.fullname" -}}
{{- printf "tether-agent-%s" (include "tether-agent.name" .) -}}
{{- end -}}

{{- define "tether-agent.selectorLabels" -}}
app.kubernetes.io/name: tether-agent
app.kubernetes.io/instance: {{ include "tether-agent.name" . }}
{{- end -}}

{{- define "tether-agent.labels" -}}
{{ include "tether-agent.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The server address, required. */}}
{{- define "tether-agent.server" -}}
{{- required "server is required: the server's agent listener as HOST:PORT, e.g. --set server=tether.example.com:8443" .Values.server -}}
{{- end -}}

{{/* The Secret holding the token, after checking that exactly one of token.value and token.existingSecret is set. */}}
{{- define "tether-agent.tokenSecret" -}}
{{- if and .Values.token.value .Values.token.existingSecret -}}
{{- fail "set token.value or token.existingSecret, not both" -}}
{{- else if .Values.token.existingSecret -}}
{{- .Values.token.existingSecret -}}
{{- else if .Values.token.value -}}
{{- printf "%s-token" (include "tether-agent.fullname" .) -}}
{{- else -}}
{{- fail "the agent's token is required: --set-file token.value=prod.token, or token.existingSecret=<a Secret holding it>" -}}
{{- end -}}
{{- end -}}

{{/* token.value, trimmed; never echoed in an error. */}}
{{- define "tether-agent.token" -}}
{{- $_ := include "tether-agent.tokenSecret" . -}}
{{- $token := trim .Values.token.value -}}
{{- if not (regexMatch "^tether-agent-[A-Za-z0-9_-]{43}$" $token) -}}
{{- fail "token.value is not a Tether agent token: expected 'tether-agent-' and 43 characters of A-Z, a-z, 0-9, '-' and '_'; was it copied whole?" -}}
{{- end -}}
{{- $token -}}
{{- end -}}
