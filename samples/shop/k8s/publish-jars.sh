#!/usr/bin/env bash
# Publishes the shop's built plug-in jars into the ConfigMap shop-plugin-jars, which the jar server
# of plugin-jars.yaml serves at http://shop-plugin-jars/<name>-plugin-<version>.jar: the URLs the
# Plugin YAMLs in ../plugins name. Each jar must have the SHA-256 its YAML pins (the pods refuse
# anything else), so a stale build is refused here already.
#
# Jars already in the ConfigMap are kept, because pods of the version being replaced still fetch
# theirs while a rollout or canary runs; --prune keeps only the versions the YAMLs name now.
#
# Usage: samples/shop/k8s/publish-jars.sh [-n NAMESPACE] [--prune] [--dry-run]
#   -n NAMESPACE  where the Plugins and the jar server run (default: shop)
#   --prune       drop jars of versions no YAML names any more
#   --dry-run     print the ConfigMap instead of applying it (needs no cluster)
set -euo pipefail

shop=$(cd "$(dirname "$0")/.." && pwd)
configmap=shop-plugin-jars
namespace=shop
prune=false
dry_run=false
while [ $# -gt 0 ]; do
  case "$1" in
    -n | --namespace) namespace=$2; shift 2 ;;
    --prune) prune=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# keep what is published already
if ! $prune && ! $dry_run && kubectl get configmap "$configmap" -n "$namespace" >/dev/null 2>&1; then
  for key in $(kubectl get configmap "$configmap" -n "$namespace" \
      -o go-template='{{range $k, $v := .binaryData}}{{$k}}{{"\n"}}{{end}}'); do
    kubectl get configmap "$configmap" -n "$namespace" \
      -o go-template="{{index .binaryData \"$key\"}}" | base64 -d > "$work/$key"
  done
fi

for yaml in "$shop"/plugins/*.yaml; do
  name=$(sed -n 's/^  name: \(.*\)$/\1/p' "$yaml" | head -1)
  version=$(sed -n 's/^  version: "\(.*\)"$/\1/p' "$yaml")
  sha256=$(sed -n 's/^      sha256: \([a-f0-9]\{64\}\)$/\1/p' "$yaml")
  local_jar=$(sed -n 's/^    corebus\.io\/local-jar: \(.*\)$/\1/p' "$yaml")
  if [ -z "$name" ] || [ -z "$version" ] || [ -z "$sha256" ] || [ -z "$local_jar" ]; then
    echo "error: $yaml: cannot read metadata.name, spec.version, spec.artifact.jar.sha256 and the corebus.io/local-jar annotation" >&2
    exit 1
  fi
  jar="$shop/plugins/$local_jar"
  if [ ! -f "$jar" ]; then
    echo "error: $jar is missing; build the shop: ./mvnw -B -ntp -pl samples/shop/plugins -am package" >&2
    exit 1
  fi
  actual=$(sha256sum "$jar" | cut -d' ' -f1)
  if [ "$actual" != "$sha256" ]; then
    echo "error: $jar has SHA-256 $actual but $yaml pins $sha256;" \
      "rebuild, or refresh the YAMLs if the code change is intended (samples/shop/README.md)" >&2
    exit 1
  fi
  cp "$jar" "$work/$name-plugin-$version.jar"
done

size=$(du -cb "$work"/*.jar | tail -1 | cut -f1)
if [ "$size" -gt 900000 ]; then
  echo "warning: $size bytes of jars, and a ConfigMap holds at most 1 MiB;" \
    "run with --prune once no pod runs an old version" >&2
fi

manifest=$(kubectl create configmap "$configmap" -n "$namespace" --from-file="$work" \
  --dry-run=client -o yaml)
if $dry_run; then
  echo "$manifest"
else
  # server-side: a client-side apply would copy the jars into an annotation, which is too small
  echo "$manifest" | kubectl apply --server-side --force-conflicts -f -
  (cd "$work" && ls -1 ./*.jar | sed "s#^\./#published http://$configmap/#")
fi
