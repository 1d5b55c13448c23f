package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// metrics serves --metrics: Prometheus counters of what a run reported
// and read, at /metrics on the address given, while the run lasts. Its
// methods do nothing on a nil *metrics, a run without --metrics.
type metrics struct {
	srv         *http.Server
	connections *prometheus.CounterVec // by outcome
	alerts      *prometheus.CounterVec // by description and side
	violations  *prometheus.CounterVec // by code
	findings    *prometheus.CounterVec // by rule
	packets     prometheus.Counter
	inputs      prometheus.Counter
	// Set from the capture's main loop, read by the scrape's goroutine:
	// libpcap's counters are cumulative, and reassembly's are not safe
	// to read from another goroutine.
	kernelDrops, ifDrops, held atomic.Int64
}

// serveMetrics listens on addr and serves the metrics there; with -v it
// says where on stderr, the address bound (a port 0 made a real one).
func serveMetrics(addr string, verbose bool, stderr io.Writer) (*metrics, error) {
	m := &metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hsdecode_connections_total",
			Help: "TLS connections reported, by outcome (docs/handshake-order.md)."}, []string{"outcome"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hsdecode_alerts_total",
			Help: "Alerts in the connections reported, by description (encrypted: not readable) and the side that sent it."}, []string{"description", "side"}),
		violations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hsdecode_violations_total",
			Help: "Order violations in the connections reported, by code."}, []string{"code"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hsdecode_findings_total",
			Help: "Findings of the --fail-on rules, by rule."}, []string{"rule"}),
		packets: prometheus.NewCounter(prometheus.CounterOpts{Name: "hsdecode_packets_total",
			Help: "Packets read: live, as they come; from files, when each is read whole."}),
		inputs: prometheus.NewCounter(prometheus.CounterOpts{Name: "hsdecode_inputs_read_total",
			Help: "Capture files read whole (a live capture: 0)."}),
	}
	reg := prometheus.NewRegistry()
	// The Go runtime's and the process's own, as a Go exporter serves
	// them: memory (go_gc_gomemlimit_bytes is the collector's soft limit,
	// --max-buffer's bound and the key logs), CPU time, open files.
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(m.connections, m.alerts, m.violations, m.findings, m.packets, m.inputs,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hsdecode_kernel_dropped_packets_total",
			Help: "Live: packets the kernel dropped, its buffer (-B) full (libpcap's ps_drop)."},
			func() float64 { return float64(m.kernelDrops.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "hsdecode_interface_dropped_packets_total",
			Help: "Live: packets the interface dropped (libpcap's ps_ifdrop)."},
			func() float64 { return float64(m.ifDrops.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hsdecode_held_bytes",
			Help: "Live: bytes held for reassembly, what --max-buffer bounds, updated every second."},
			func() float64 { return float64(m.held.Load()) }))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := m.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			complain(stderr, "--metrics: "+err.Error())
		}
	}()
	if verbose {
		fmt.Fprintf(stderr, "hsdecode: metrics on http://%s/metrics\n", ln.Addr())
	}
	return m, nil
}

// close stops serving.
func (m *metrics) close() {
	if m != nil {
		m.srv.Close()
	}
}

// observe counts a connection reported, and its findings.
func (m *metrics) observe(r *flows.Result, fs []report.Finding) {
	if m == nil {
		return
	}
	m.connections.WithLabelValues(string(r.Outcome)).Inc()
	for _, a := range r.Alerts {
		desc := "encrypted"
		if !a.Encrypted {
			desc = a.Description.String()
		}
		m.alerts.WithLabelValues(desc, string(a.From)).Inc()
	}
	for _, v := range r.Violations {
		m.violations.WithLabelValues(string(v.Code)).Inc()
	}
	for _, f := range fs {
		m.findings.WithLabelValues(string(f.Rule)).Inc()
	}
}

// input counts a capture file read.
func (m *metrics) input(st reassembly.Stats) {
	if m == nil {
		return
	}
	m.inputs.Inc()
	m.packets.Add(float64(st.Packets))
}

// packet counts the packets of a live capture's batch.
func (m *metrics) packet(n int) {
	if m != nil {
		m.packets.Add(float64(n))
	}
}

// live sets a live capture's counters, from its main loop.
func (m *metrics) live(dropped, ifDropped, held int64) {
	if m == nil {
		return
	}
	m.kernelDrops.Store(dropped)
	m.ifDrops.Store(ifDropped)
	m.held.Store(held)
}
