# shellcheck shell=bash
# Pinned versions of the real upstream peers used by the end-to-end tests.
# This is the ONE place that pins them; scripts/e2e-build and scripts/e2e-cluster
# source it. Go is test infrastructure only, never part of the product.

# etcd: newest v3.6.x served by the Go module proxy.
E2E_ETCD_VERSION=v3.6.16

# Kubernetes: newest patch of the newest minor served (k8s.io/kubernetes), with
# its staging modules (k8s.io/api, ...) at the matching v0.<minor>.<patch>.
E2E_KUBERNETES_VERSION=v1.37.2
E2E_KUBERNETES_STAGING_VERSION=v0.37.2

# OpenTelemetry Collector: builder + core (beta v0.x / stable v1.x) + contrib of
# ONE release. v0.161.0 is the newest release whose contrib filter/transform/file
# modules resolve through the module proxy available here (see README-e2e.md).
E2E_OTELCOL_VERSION=v0.161.0          # builder, core beta modules, contrib modules
E2E_OTELCOL_STABLE_VERSION=v1.67.0    # core stable modules of the same release
# Contrib components that went stable carry their own v1.x line: the one of the same
# release (its go.mod requires the core modules at E2E_OTELCOL_STABLE_VERSION).
E2E_K8SATTRIBUTES_VERSION=v1.0.0      # processor/k8sattributesprocessor of contrib v0.161.0

# VictoriaLogs (Apache-2.0): the real log store at the end of the pipe in the e2e suite.
E2E_VICTORIALOGS_VERSION=v1.52.2

# Helm (the chart tests of `npm test` and the Helm e2e) and actionlint (the workflow check):
# tools, not peers, built the same way into the same cache.
E2E_HELM_VERSION=v4.3.2               # helm.sh/helm/v4/cmd/helm
E2E_ACTIONLINT_VERSION=v1.7.12        # github.com/rhysd/actionlint/cmd/actionlint

# Prometheus' promtool (`promtool test rules`): evaluates the shipped alerting rules over the
# metrics the alert tests scrape. Module versions v0.3xx.y are Prometheus 3.xx.y.
E2E_PROMTOOL_VERSION=v0.316.0          # github.com/prometheus/prometheus/cmd/promtool

# Go toolchain used to build them (the local one; go.mod files need go >= 1.26.0).
E2E_GOTOOLCHAIN=${E2E_GOTOOLCHAIN:-local}

E2E_CACHE=${EVENTROUTER_E2E_CACHE:-$HOME/.cache/eventrouter-e2e}
E2E_STATE=${EVENTROUTER_E2E_STATE:-/tmp/eventrouter-e2e}

E2E_ETCD_DIR=$E2E_CACHE/etcd-$E2E_ETCD_VERSION
E2E_KUBERNETES_DIR=$E2E_CACHE/kubernetes-$E2E_KUBERNETES_VERSION
E2E_OTELCOL_DIR=$E2E_CACHE/otelcol-$E2E_OTELCOL_VERSION
E2E_VICTORIALOGS_DIR=$E2E_CACHE/victorialogs-$E2E_VICTORIALOGS_VERSION

E2E_ETCD_BIN=$E2E_ETCD_DIR/bin/etcd
E2E_KUBE_APISERVER_BIN=$E2E_KUBERNETES_DIR/bin/kube-apiserver
E2E_KUBECTL_BIN=$E2E_KUBERNETES_DIR/bin/kubectl
E2E_OTELCOL_BIN=$E2E_OTELCOL_DIR/bin/otelcol-eventrouter
# sha256 of the builder manifest the binary was built from: another manifest means a rebuild.
E2E_OTELCOL_STAMP=$E2E_OTELCOL_DIR/bin/otelcol-eventrouter.manifest-sha256
E2E_VICTORIALOGS_BIN=$E2E_VICTORIALOGS_DIR/bin/victoria-logs
E2E_HELM_DIR=$E2E_CACHE/helm-$E2E_HELM_VERSION
E2E_HELM_BIN=$E2E_HELM_DIR/bin/helm
E2E_ACTIONLINT_DIR=$E2E_CACHE/actionlint-$E2E_ACTIONLINT_VERSION
E2E_ACTIONLINT_BIN=$E2E_ACTIONLINT_DIR/bin/actionlint
E2E_PROMTOOL_DIR=$E2E_CACHE/promtool-$E2E_PROMTOOL_VERSION
E2E_PROMTOOL_BIN=$E2E_PROMTOOL_DIR/bin/promtool
