{{- /*
  Combinations the chart refuses to render, with the reason and the fix. Included by
  deployment.yaml, so they are checked whatever else is on or off.
*/}}
{{- define "corebus.validate" -}}
{{- if .Values.kafka.security.managePrincipals }}
{{- if not (has .Values.kafka.securityProtocol (list "SASL_PLAINTEXT" "SASL_SSL")) }}
{{- fail (printf "kafka.security.managePrincipals needs kafka.securityProtocol SASL_PLAINTEXT or SASL_SSL (it is %s): plug-ins log in with their own SCRAM users, and the operator refuses to start otherwise" .Values.kafka.securityProtocol) }}
{{- end }}
{{- if .Values.watchAllNamespaces }}
{{- fail "kafka.security.managePrincipals cannot be combined with watchAllNamespaces: the operator would need Secrets in every namespace, and the chart grants no cluster-wide access to Secrets. List the namespaces in watchNamespaces instead (each gets a Role with Secrets)" }}
{{- end }}
{{- end }}
{{- end }}
