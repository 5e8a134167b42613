// Package semconvtest stands in for the contrib module of that name, which only the tests of
// k8sattributesprocessor import (semconv_integration_test.go). The Collector builder's
// `go mod tidy` resolves the tests of every component, and the Go module proxy reachable from
// the e2e build refuses this module's zip ("403 Forbidden ... This module version is not
// available"); the empty package satisfies tidy. Nothing imports it in the built binary.
package semconvtest
