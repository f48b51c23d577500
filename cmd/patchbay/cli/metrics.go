package cli

import (
	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"
)

// metricFunc is one metric read from a component's stats at scrape time.
type metricFunc struct {
	name, help string
	counter    bool
	value      func() float64
}

// registerFuncs registers metrics whose values are read when scraped.
func registerFuncs(reg prometheus.Registerer, ms []metricFunc) {
	for _, m := range ms {
		opts := prometheus.Opts{Name: m.name, Help: m.help}
		if m.counter {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts(opts), m.value))
		} else {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts), m.value))
		}
	}
}

// natsCollector exports the embedded NATS server's varz at scrape time.
type natsCollector struct {
	srv   *server.Server
	descs map[string]*prometheus.Desc
}

var natsMetrics = []struct {
	name, help string
	counter    bool
	value      func(v *server.Varz) float64
}{
	{"patchbay_nats_connections", "Client connections to the embedded NATS server now.", false, func(v *server.Varz) float64 { return float64(v.Connections) }},
	{"patchbay_nats_connections_total", "Client connections the embedded NATS server has accepted.", true, func(v *server.Varz) float64 { return float64(v.TotalConnections) }},
	{"patchbay_nats_subscriptions", "Subscriptions on the embedded NATS server now.", false, func(v *server.Varz) float64 { return float64(v.Subscriptions) }},
	{"patchbay_nats_in_msgs_total", "Messages received by the embedded NATS server.", true, func(v *server.Varz) float64 { return float64(v.InMsgs) }},
	{"patchbay_nats_out_msgs_total", "Messages sent by the embedded NATS server.", true, func(v *server.Varz) float64 { return float64(v.OutMsgs) }},
	{"patchbay_nats_in_bytes_total", "Bytes received by the embedded NATS server.", true, func(v *server.Varz) float64 { return float64(v.InBytes) }},
	{"patchbay_nats_out_bytes_total", "Bytes sent by the embedded NATS server.", true, func(v *server.Varz) float64 { return float64(v.OutBytes) }},
	{"patchbay_nats_slow_consumers_total", "Clients the embedded NATS server disconnected as slow consumers.", true, func(v *server.Varz) float64 { return float64(v.SlowConsumers) }},
	{"patchbay_jetstream_storage_bytes", "Bytes JetStream keeps on disk.", false, func(v *server.Varz) float64 {
		if v.JetStream.Stats == nil {
			return 0
		}
		return float64(v.JetStream.Stats.Store)
	}},
	{"patchbay_jetstream_memory_bytes", "Bytes JetStream keeps in memory.", false, func(v *server.Varz) float64 {
		if v.JetStream.Stats == nil {
			return 0
		}
		return float64(v.JetStream.Stats.Memory)
	}},
	{"patchbay_jetstream_api_requests_total", "JetStream API requests served.", true, func(v *server.Varz) float64 {
		if v.JetStream.Stats == nil {
			return 0
		}
		return float64(v.JetStream.Stats.API.Total)
	}},
	{"patchbay_jetstream_api_errors_total", "JetStream API requests that failed.", true, func(v *server.Varz) float64 {
		if v.JetStream.Stats == nil {
			return 0
		}
		return float64(v.JetStream.Stats.API.Errors)
	}},
}

func newNATSCollector(srv *server.Server) *natsCollector {
	c := &natsCollector{srv: srv, descs: map[string]*prometheus.Desc{}}
	for _, m := range natsMetrics {
		c.descs[m.name] = prometheus.NewDesc(m.name, m.help, nil, nil)
	}
	return c
}

// Describe sends the descriptors of every NATS metric.
func (c *natsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect reads varz once and sends every NATS metric.
func (c *natsCollector) Collect(ch chan<- prometheus.Metric) {
	v, err := c.srv.Varz(nil)
	if err != nil {
		return
	}
	for _, m := range natsMetrics {
		t := prometheus.GaugeValue
		if m.counter {
			t = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(c.descs[m.name], t, m.value(v))
	}
}
