package daemon

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the daemon's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg          *prometheus.Registry
	applies      *prometheus.CounterVec
	reloads      prometheus.Counter
	commands     prometheus.Counter
	duration     prometheus.Histogram
	lastSuccess  prometheus.Gauge
	drift        prometheus.Counter
	restarts     prometheus.Counter
	configErrors prometheus.Gauge
	prepared     *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		applies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproute_applies_total",
			Help: "Apply attempts by result (success, failure, noop, invalid) and kind (runtime, reload, none).",
		}, []string{"result", "kind"}),
		reloads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haproute_reloads_total", Help: "HAProxy reloads triggered by haproute.",
		}),
		commands: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haproute_runtime_commands_total", Help: "Runtime API commands sent by applies.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "haproute_apply_duration_seconds",
			Help:    "Time from wake-up to a verified apply.",
			Buckets: []float64{.005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10},
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "haproute_last_successful_apply_timestamp_seconds", Help: "Unix time of the last successful apply.",
		}),
		drift: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haproute_drift_detected_total", Help: "Changes that reconciled runtime state differing from the files.",
		}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haproute_haproxy_restarts_total", Help: "Times the supervised HAProxy died and was restarted.",
		}),
		configErrors: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "haproute_config_errors", Help: "Errors in the current configuration (0 when it is valid).",
		}),
		prepared: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haproute_prepared_applies_total",
			Help: "Applies prepared while the debounce ran, by outcome: committed as prepared, or stale (prepared again at commit time).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.prepared, m.applies, m.reloads, m.commands, m.duration, m.lastSuccess, m.drift, m.restarts, m.configErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
