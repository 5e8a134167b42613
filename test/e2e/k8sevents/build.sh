#!/usr/bin/env bash
# Build (once) the Collector with the `k8s_events` receiver used by the side-by-side
# comparison e2e test. Idempotent; everything lives in the e2e cache dir.
# Prints nothing but progress on stderr; the binary path on stdout.
# Env: EVENTROUTER_E2E_CACHE (default ~/.cache/eventrouter-e2e)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VERSION=v0.111.0
CACHE=${EVENTROUTER_E2E_CACHE:-$HOME/.cache/eventrouter-e2e}
DIR=$CACHE/otelcol-k8sevents-$VERSION
BIN=$DIR/bin/otelcol-k8sevents
if [[ -x $BIN ]]; then echo "$BIN"; exit 0; fi
command -v go >/dev/null || { echo "go not found in PATH" >&2; exit 1; }
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS="-buildvcs=false -modcacherw"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
unset GOBIN
start=$SECONDS
work=$DIR/work
rm -rf "$work"; mkdir -p "$work" "$DIR/bin" "$DIR/tools"
if [[ ! -x $DIR/tools/builder ]]; then
  (cd "$work" && GOBIN=$DIR/tools go install -trimpath -ldflags='-s -w' "go.opentelemetry.io/collector/cmd/builder@$VERSION") >>"$DIR/build.log" 2>&1
fi
cp "$here/builder-manifest.yaml" "$work/manifest.yaml"
(cd "$work" && "$DIR/tools/builder" --config manifest.yaml --verbose) >>"$DIR/build.log" 2>&1 ||
  { echo "otelcol-k8sevents build failed; last lines of $DIR/build.log:" >&2; tail -n 30 "$DIR/build.log" >&2; exit 1; }
mv "$work/dist/otelcol-k8sevents" "$BIN"
rm -rf "$work"
printf '%s otelcol-k8sevents %s %ss go=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$VERSION" $((SECONDS - start)) "$(go env GOVERSION)" >>"$CACHE/build-times.log"
echo "otelcol-k8sevents $VERSION built in $((SECONDS - start)) s" >&2
echo "$BIN"
