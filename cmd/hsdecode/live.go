package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/pipeline"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// Live capture: one goroutine reads packets from libpcap and copies them
// into batches, which it hands to the main loop; the main loop gives them
// to the pipeline, whose workers (--workers, one per CPU by default) run
// reassembly and flows, and the batch goes back to the reader once every
// worker is done with it. A batch is handed on as soon as the main loop
// takes it: a few packets when it keeps up, many when it is busy, so that
// its cost per packet falls as the rate rises. The main loop selects over
// those batches, the results the workers hand over, a wall-clock ticker
// (which expires idle connections when no packet comes), the stop signals,
// the info signal and the --duration timer, and writes every result the
// pipeline has decided (pipeline.DecisionOrder) as it comes, flushing the
// report after each round of them.

const (
	// tickEvery is how often wall time is given to the assembler, the -w
	// file flushed and -v progress considered.
	tickEvery = time.Second
	// progressEvery is how often -v prints a progress line.
	progressEvery = 10 * time.Second
	// liveBatches is how many batches the reader fills, each of at most
	// batchPackets packets and batchBytes bytes: 4 MiB in all. When all
	// wait for the main loop or the workers the reader waits, and the
	// kernel buffer (-B) absorbs the burst, counting what it cannot hold.
	liveBatches  = 8
	batchPackets = 512
	batchBytes   = 512 << 10
	// defaultBufferKiB is -B: 2 MiB, libpcap's default, is 0.1 s of a
	// gigabit link, which a pause of the collector or a burst of
	// handshakes on the workers passes.
	defaultBufferKiB = 16 << 10
)

// liveConfig is what the command line asks of a live capture.
type liveConfig struct {
	iface    string
	opts     capture.LiveOptions
	count    int           // stop after this many reported connections; 0: no limit
	duration time.Duration // stop after this long; 0: no limit
	write    string        // also write the packets to this pcap file
	workers  int           // --workers
	verbose  bool
	// countsOnStderr prints the outcome counts on standard error at the
	// end: the JSON format has no summary line of its own, and its
	// standard output must stay JSON lines.
	countsOnStderr bool
	flows          flows.Options
	reassembly     reassembly.Options
	// output is -o's file, reopened on SIGHUP; nil without -o.
	output *outputFile
	// out buffers the report on its way to standard output or -o's file;
	// flushed after each round of results, whole lines only.
	out  *bufio.Writer
	zone *time.Location // of the -v progress lines' times; nil: UTC
	// keyMemory counts the followed key logs in the soft memory limit as
	// they grow; nil without key logs or with GOMEMLIMIT.
	keyMemory *keyMemory
}

// liveBatch is packets on their way from the reader to the workers,
// their bytes copied into buf, which goes back to the reader (free) once
// the workers are done with them.
type liveBatch struct {
	buf     []byte
	packets []capture.Packet // Data in buf
	free    chan<- *liveBatch
	release func() // gives the batch back to free, made once
}

// add copies p into the batch, and says false when it has no room for it.
func (b *liveBatch) add(p capture.Packet) bool {
	if len(b.packets) == batchPackets || (len(b.buf)+len(p.Data) > cap(b.buf) && len(b.packets) > 0) {
		return false
	}
	start := len(b.buf)
	b.buf = append(b.buf, p.Data...)
	p.Data = b.buf[start:len(b.buf):len(b.buf)]
	b.packets = append(b.packets, p)
	return true
}

func newLiveBatch(free chan<- *liveBatch) *liveBatch {
	b := &liveBatch{buf: make([]byte, 0, batchBytes), packets: make([]capture.Packet, 0, batchPackets), free: free}
	b.release = func() {
		clear(b.packets) // no pointer into buf outlives its reuse
		b.buf, b.packets = b.buf[:0], b.packets[:0]
		b.free <- b // never blocks: free has room for every batch
	}
	return b
}

// readLive runs on the reader's goroutine: it fills batches from src and
// sends each on out as soon as out takes it (or when it is full, or the
// interface has been quiet for a tenth of a second), until src ends; then
// it closes out. The error that ended it, if not io.EOF, is in *readErr
// before out is closed.
func readLive(src capture.Live, free chan *liveBatch, out chan<- *liveBatch, readErr *error) {
	defer close(out)
	var b *liveBatch
	for {
		if b == nil {
			b = <-free
		}
		p, ok, err := src.Poll()
		if err != nil {
			if len(b.packets) > 0 {
				out <- b
			}
			if err != io.EOF {
				*readErr = err
			}
			return
		}
		if !ok {
			if len(b.packets) > 0 {
				out <- b
				b = nil
			}
			continue
		}
		if !b.add(p) {
			out <- b
			b = <-free
			b.add(p)
		}
		select {
		case out <- b:
			b = nil
		default:
		}
	}
}

// liveRun is the state of the main loop.
type liveRun struct {
	cfg    liveConfig
	stderr io.Writer
	gate   *gate    // the exit status (--fail-on, --baseline) and the summary
	outs   *outputs // the writers
	src    capture.Live
	pipe   *pipeline.Pipeline
	wr     *capture.Writer
	// secrets keeps the key log lines of the connections reported, for
	// -w with --keylog.
	secrets *secretsSpool

	packets    int64 // packets read
	reported   int64 // results written
	unreported int64 // results left out once -c was reached
	outcomes   map[flows.Outcome]int
	outClosed  bool // standard output's reader is gone
	stop       bool // end the capture: -c reached, or err set
	err        error
	progressAt time.Time // when -v last printed progress
}

// runLive captures on an interface until a stop signal, -c or --duration,
// and returns the exit status.
func runLive(cfg liveConfig, g *gate, outs *outputs, stderr io.Writer) int {
	stops := stopSignals
	reopen := make(chan os.Signal, 1)
	if cfg.output != nil && len(reopenSignals) > 0 {
		// With -o, SIGHUP is logrotate's (Suricata's habit), not the
		// closed terminal's (tcpdump's): a sensor has no terminal.
		stops = signalsWithout(stopSignals, reopenSignals)
		signal.Notify(reopen, reopenSignals...)
		defer signal.Stop(reopen)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, stops...)
	defer signal.Stop(stop)
	if len(pipeSignals) > 0 {
		// Only handling them matters; the write's EPIPE is what ends
		// the capture (liveRun.writeFailed).
		pipe := make(chan os.Signal, 1)
		signal.Notify(pipe, pipeSignals...)
		defer signal.Stop(pipe)
	}
	info := make(chan os.Signal, 1)
	if len(infoSignals) > 0 {
		signal.Notify(info, infoSignals...)
		defer signal.Stop(info)
	}
	// After the first stop signal a second one gets the default action,
	// should the clean end hang (a stalled reader of standard output).
	return live(cfg, g, outs, stderr, signals{stop: stop, info: info, reopen: reopen}, func() { signal.Stop(stop) })
}

// signalsWithout is signals less those of drop.
func signalsWithout(signals, drop []os.Signal) []os.Signal {
	var keep []os.Signal
	for _, s := range signals {
		if !slices.Contains(drop, s) {
			keep = append(keep, s)
		}
	}
	return keep
}

// signals are the channels of the signals a live capture acts on: stop
// ends it, info prints a progress line, reopen reopens -o's file.
type signals struct {
	stop, info, reopen <-chan os.Signal
}

// live is runLive once the signals it ends or reports on are channels.
func live(cfg liveConfig, g *gate, outs *outputs, stderr io.Writer, sig signals, stopped func()) int {
	iface, err := resolveInterface(cfg.iface)
	if err != nil {
		complain(stderr, err.Error())
		return exitError
	}
	src, err := capture.OpenLive(iface, cfg.opts)
	if err != nil {
		complain(stderr, openAdvice(err))
		return exitError
	}
	defer src.Close()
	ci := src.Info()
	l := &liveRun{cfg: cfg, stderr: stderr, gate: g, outs: outs, src: src, outcomes: map[flows.Outcome]int{}}
	if cfg.write != "" {
		if l.wr, err = capture.CreateFile(cfg.write, ci.LinkType, ci.SnapLen); err != nil {
			complain(stderr, err.Error())
			return exitError
		}
		if cfg.flows.Keys != nil {
			if l.secrets, err = newSecretsSpool(cfg.flows.Keys); err != nil {
				complain(stderr, err.Error())
				return exitError
			}
			defer l.secrets.Close()
		}
	}
	l.pipe = pipeline.New(pipeline.Options{Workers: cfg.workers, Order: pipeline.DecisionOrder, Flows: cfg.flows, Reassembly: cfg.reassembly})

	if ci.Warning != "" {
		complain(stderr, "warning: "+ci.Warning)
	}
	// tcpdump's words, which scripts wait for.
	fmt.Fprintf(stderr, "listening on %s, link-type %s (%s), snapshot length %d bytes\n", report.Escape(ci.Interface), ci.LinkName, ci.LinkDescription, ci.SnapLen)
	l.flush() // a Zeek log's header

	free := make(chan *liveBatch, liveBatches)
	for range liveBatches {
		free <- newLiveBatch(free)
	}
	// Unbuffered: the reader keeps filling its batch while the main loop
	// is busy, and hands it over whole when it is not.
	batches := make(chan *liveBatch)
	var readErr error // set before batches is closed
	go readLive(src, free, batches, &readErr)

	ticker := time.NewTicker(tickEvery)
	defer ticker.Stop()
	var deadline <-chan time.Time
	if cfg.duration > 0 {
		t := time.NewTimer(cfg.duration)
		defer t.Stop()
		deadline = t.C
	}
	l.progressAt = time.Now()
loop:
	for !l.stop {
		select {
		case b, ok := <-batches:
			if !ok {
				break loop
			}
			l.batch(b)
		case <-l.pipe.Ready():
			l.take()
		case now := <-ticker.C:
			l.tick(now)
		case <-sig.info:
			l.progress(time.Now())
		case <-sig.reopen:
			l.reopen()
		case <-deadline:
			break loop
		case <-sig.stop:
			stopped()
			break loop
		}
	}
	// Packets already read are analysed (unless -c was reached or output
	// failed); the reader notices Stop within a tenth of a second.
	src.Stop()
	for b := range batches {
		if l.stop {
			b.release()
			continue
		}
		l.batch(b)
	}
	st, statsErr := src.Stats()
	src.Close()
	// Connections still open are reported (incomplete, closed at
	// capture_end).
	l.pipe.Flush()
	l.take()
	g.sum.Files = 1
	g.sum.AddPackets(l.packets, l.pipe.Stats().Skipped)
	g.endInput("interface "+cfg.iface, l.packets, outs, stderr)
	g.endRun(outs, stderr)
	changes := g.changes()
	if err := outs.finish(g, changes, stderr); err != nil {
		l.writeFailed(err)
	}
	l.flush()
	if l.wr != nil {
		if err := l.wr.Close(); err != nil {
			l.fail(err)
		}
	}
	if l.secrets != nil && l.err == nil {
		if err := l.secrets.embed(l.cfg.write, ci.LinkType, ci.SnapLen); err != nil {
			l.fail(err)
		}
	}
	l.summary(st, statsErr)

	switch {
	case readErr != nil:
		complain(stderr, readErr.Error())
		return exitError
	case l.err != nil:
		complain(stderr, l.err.Error())
		return exitError
	}
	return g.status(changes)
}

// batch runs a batch through -w and the pipeline, which gives it back to
// the reader once the workers are done with it, and writes the results
// ready.
func (l *liveRun) batch(b *liveBatch) {
	l.packets += int64(len(b.packets))
	l.gate.metrics.packet(len(b.packets))
	for i := range b.packets {
		p := &b.packets[i]
		if l.wr != nil {
			if err := l.wr.Write(*p); err != nil {
				l.fail(err)
				break
			}
		}
		l.pipe.Packet(p.LinkType, p.Data, p.CaptureInfo)
	}
	l.pipe.EndBatch(b.release)
	l.take()
}

// tick gives the assembler wall time, so that connections idle out and
// reset ones close while no packet comes, flushes -w, and prints -v
// progress when due.
func (l *liveRun) tick(now time.Time) {
	l.pipe.Expire(now)
	l.take()
	l.cfg.keyMemory.count()
	if m := l.gate.metrics; m != nil {
		if st, err := l.src.Stats(); err == nil {
			m.live(st.Dropped, st.IfDropped, l.pipe.Buffered())
		}
	}
	if l.wr != nil {
		if err := l.wr.Flush(); err != nil {
			l.fail(err)
		}
	}
	if l.cfg.verbose && now.Sub(l.progressAt) >= progressEvery {
		l.progress(now)
	}
}

// take writes the results the pipeline has ready.
func (l *liveRun) take() {
	n := 0
	for r := l.pipe.Next(); r != nil; r = l.pipe.Next() {
		if l.secrets != nil {
			if err := l.secrets.add(r); err != nil {
				l.fail(fmt.Errorf("-w: keeping the key log lines: %w", err))
			}
		}
		l.write(r)
		n++
	}
	if n > 0 {
		l.flush()
	}
}

// flush writes out what the report writers gave the buffer: the reader of
// the report sees every connection decided so far.
func (l *liveRun) flush() {
	if l.cfg.out == nil {
		return
	}
	if err := l.cfg.out.Flush(); err != nil {
		l.writeFailed(err)
	}
}

// write writes a result, or counts it once -c is reached.
func (l *liveRun) write(r *flows.Result) {
	if l.cfg.count > 0 && l.reported >= int64(l.cfg.count) {
		l.unreported++
		return
	}
	if l.gate.skip(r) {
		return
	}
	l.reported++
	l.outcomes[r.Outcome]++
	findings := l.gate.add(r)
	if l.err == nil {
		if err := l.outs.all.Write(r, findings); err != nil {
			l.writeFailed(err)
		}
	}
	if l.cfg.count > 0 && l.reported == int64(l.cfg.count) {
		l.stop = true
	}
}

// reopen closes -o's file and opens its path again, for logrotate. Every
// connection written so far is whole in the old file: the writers and the
// buffer are flushed first, on this goroutine. A Zeek log is closed with
// #close and the new file begins with its own header, as Zeek's rotated
// logs do.
func (l *liveRun) reopen() {
	if r, ok := l.outs.out.(report.Rotator); ok {
		if err := r.EndLog(); err != nil {
			l.writeFailed(err)
			return
		}
	}
	l.flush()
	if err := l.cfg.output.reopen(); err != nil {
		l.fail(err)
	}
}

// fail ends the capture with the first error.
func (l *liveRun) fail(err error) {
	if l.err == nil {
		l.err = err
	}
	l.stop = true
}

// writeFailed ends the capture after a report write failed. When the
// reader of standard output has gone (EPIPE: | head -1 has its line), that
// is no error: the capture ends as on a stop signal, the -w file is closed
// whole, the counts go to standard error, and writing goes on for the
// JUnit file, which the failed writes to standard output do not stop.
func (l *liveRun) writeFailed(err error) {
	if brokenPipe(err) {
		l.outClosed = true
		l.stop = true
		return
	}
	l.fail(fmt.Errorf("write: %w", err))
}

// brokenPipe says every error err joins is EPIPE: a JUnit file that failed
// beside standard output is still an error.
func brokenPipe(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !brokenPipe(e) {
				return false
			}
		}
		return true
	}
	return errors.Is(err, syscall.EPIPE)
}

// progress prints one line of counts (-v every progressEvery, and on the
// info signal).
func (l *liveRun) progress(now time.Time) {
	l.progressAt = now
	st, err := l.src.Stats()
	drops := "drop counts unavailable"
	if err == nil {
		drops = fmt.Sprintf("%d dropped by kernel, %d dropped by interface", st.Dropped, st.IfDropped)
	}
	awaiting := l.pipe.Connections() - l.reported - l.unreported - l.pipe.NotReported()
	zone := l.cfg.zone
	if zone == nil {
		zone = time.UTC
	}
	fmt.Fprintf(l.stderr, "hsdecode: %s: %d packets, %s; %s reported, %d awaiting a verdict\n",
		now.In(zone).Format("15:04:05Z07:00"), l.packets, drops, report.Count(l.reported, "connection"), awaiting)
}

// summary prints, on standard error, the outcome counts (JSON format),
// the capture's counters, what drops mean for the verdicts, and with -v
// what reassembly skipped.
func (l *liveRun) summary(st capture.LiveStats, statsErr error) {
	w := l.stderr
	if l.outClosed {
		fmt.Fprintln(w, "hsdecode: standard output closed: capture stopped")
	}
	if l.cfg.countsOnStderr || l.outClosed {
		fmt.Fprintln(w, "hsdecode:", outcomeCounts(l.reported, l.outcomes))
	}
	if l.unreported > 0 {
		fmt.Fprintf(w, "hsdecode: stopped after %s (-c); %d more not reported\n", report.Count(l.reported, "connection"), l.unreported)
	}
	if statsErr != nil {
		fmt.Fprintf(w, "hsdecode: %d packets captured (%v)\n", l.packets, statsErr)
	} else {
		fmt.Fprintf(w, "hsdecode: %d packets captured, %d received by filter, %d dropped by kernel, %d dropped by interface\n",
			l.packets, st.Received, st.Dropped, st.IfDropped)
		if n := st.Dropped + st.IfDropped; n > 0 {
			fmt.Fprintf(w, "hsdecode: %d packets were dropped before hsdecode saw them: a connection that lost one may be reported gap or incomplete (a larger -B or a narrower filter helps)\n", n)
		}
	}
	if l.cfg.verbose {
		printStats(w, l.pipe.Stats(), l.pipe.NotReported())
	}
}

// outcomeCounts is the text writer's closing line: "3 connections: 1
// alert, 2 established".
func outcomeCounts(n int64, outcomes map[flows.Outcome]int) string {
	parts := make([]string, 0, len(outcomes))
	for o, k := range outcomes {
		parts = append(parts, fmt.Sprintf("%d %s", k, o))
	}
	sort.Strings(parts)
	s := report.Count(n, "connection")
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}
