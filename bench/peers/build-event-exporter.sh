#!/usr/bin/env bash
# Build (once) kubernetes-event-exporter (github.com/resmoio/kubernetes-event-exporter,
# Apache-2.0), the standalone peer of the bench's side-by-side comparison (issue 21 target 5).
# Idempotent: prints the binary path on stdout when it exists; progress goes to stderr.
#
# The module is not served by the Go module proxy (only its dependencies are), so the
# source must come from a git copy of the GitHub repository holding the pinned commit:
#   git clone https://github.com/resmoio/kubernetes-event-exporter /path/to/kee
#   EVENTROUTER_EVENT_EXPORTER_GIT=/path/to/kee bench/peers/build-event-exporter.sh
# (a bare mirror works too). Without one the script exits 3 and says so; the bench then
# skips its row with one line.
#
# Env: EVENTROUTER_EVENT_EXPORTER_GIT  git dir (clone or bare) holding the pinned commit
#      EVENTROUTER_E2E_CACHE           cache root (default ~/.cache/eventrouter-e2e)
set -euo pipefail
# v1.7 plus one commit (2024-05-14): the repository's newest commit.
COMMIT=907ce911f7ea8b347aa1a469aaac9c5b56e78dec
CACHE=${EVENTROUTER_E2E_CACHE:-$HOME/.cache/eventrouter-e2e}
DIR=$CACHE/kubernetes-event-exporter-${COMMIT:0:12}
BIN=$DIR/bin/kubernetes-event-exporter
if [[ -x $BIN ]]; then echo "$BIN"; exit 0; fi

src=${EVENTROUTER_EVENT_EXPORTER_GIT:-}
if [[ -n $src && -d $src/.git ]]; then src=$src/.git; fi
if [[ -z $src ]] || ! git --git-dir="$src" cat-file -e "$COMMIT^{commit}" 2>/dev/null; then
  cat >&2 <<MSG
kubernetes-event-exporter: no source (${src:-EVENTROUTER_EVENT_EXPORTER_GIT unset} does not hold commit ${COMMIT:0:12}).
  git clone https://github.com/resmoio/kubernetes-event-exporter /path/to/kee
  EVENTROUTER_EVENT_EXPORTER_GIT=/path/to/kee $0
MSG
  exit 3
fi
command -v go >/dev/null || { echo "go not found in PATH" >&2; exit 1; }
# The same isolated Go environment as scripts/e2e-build: one cache dir to keep or clean.
export GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOFLAGS="-buildvcs=false -modcacherw"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off
unset GOBIN
start=$SECONDS
work=$DIR/work
rm -rf "$work"; mkdir -p "$work" "$DIR/bin"; : >"$DIR/build.log"
git --git-dir="$src" archive "$COMMIT" | tar -x -C "$work"
echo "kubernetes-event-exporter ${COMMIT:0:12}: building (log: $DIR/build.log)" >&2
# nice: the build takes minutes of both cores, and a bench may be running beside it.
(cd "$work" && nice -n 19 go build -mod=mod -v -trimpath -ldflags='-s -w' -o "$BIN.tmp" .) >>"$DIR/build.log" 2>&1 ||
  { echo "kubernetes-event-exporter build failed; last lines of $DIR/build.log:" >&2; tail -n 30 "$DIR/build.log" >&2; exit 1; }
mv "$BIN.tmp" "$BIN"
rm -rf "$work"
printf '%s kubernetes-event-exporter %s %ss go=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${COMMIT:0:12}" $((SECONDS - start)) "$(go env GOVERSION)" >>"$CACHE/build-times.log"
echo "kubernetes-event-exporter ${COMMIT:0:12} built in $((SECONDS - start)) s" >&2
echo "$BIN"
