// Stand-in for a test-only module (see doc.go); never compiled into the Collector.
module github.com/open-telemetry/opentelemetry-collector-contrib/pkg/semconvtest

go 1.26.0
