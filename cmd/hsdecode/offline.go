package main

import (
	"io"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/pipeline"
	"github.com/hsdecode/hsdecode/reassembly"
)

// analysis is what one capture file gave.
type analysis struct {
	results     []flows.Result // by analyze only: analyzeSource hands them to write instead
	stats       reassembly.Stats
	notReported int64
	readErr     error // the capture broke off here; results hold what came before
	writeErr    error // the first error of write
	packets     int64 // packets read, counted for progress
	outOfOrder  int64 // pipeline.Pipeline.OutOfOrder
}

// position is how far a capture has been read, when its source says.
func position(src capture.Source) (int64, int64) {
	if p, ok := src.(interface{ Position() (int64, int64) }); ok {
		return p.Position()
	}
	return -1, -1
}

// analyze runs a capture file through reassembly and flows on one
// goroutine and returns the results. An error means the file could not be
// opened at all.
func analyze(path string, fo flows.Options, o reassembly.Options) (*analysis, error) {
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var results []flows.Result
	an := analyzeSource(src, fo, o, 1, nil, func(r *flows.Result) error {
		results = append(results, *r)
		return nil
	})
	an.results = results
	return an, nil
}

// analyzeSource runs a capture through a pipeline with the given number of
// workers, and gives write each result the pipeline hands out: for a file
// in the order the connections began, for a stream (standard input, a
// pipe) as each is decided, since the input may not end for hours. prog
// may be nil. Once write fails, it is not called again (analysis.writeErr).
func analyzeSource(src capture.Source, fo flows.Options, o reassembly.Options, workers int, prog *progress, write func(*flows.Result) error) *analysis {
	an := new(analysis)
	order, next := pipeline.StartOrder, capture.NextBatch
	if asDecided(src) {
		// One worker: a packet at a time to several would cost a
		// handover each, and onePacket reuses its batch.
		order, next, workers = pipeline.DecisionOrder, onePacket(), 1
	}
	p := pipeline.New(pipeline.Options{Workers: workers, Order: order, Flows: fo, Reassembly: o})
	take := func() {
		for r := p.Next(); r != nil; r = p.Next() {
			if an.writeErr == nil {
				an.writeErr = write(r)
			}
		}
	}
	for {
		b, err := next(src)
		if err == io.EOF {
			break
		}
		if err != nil {
			an.readErr = err
			break
		}
		for i := range b.Packets {
			pk := &b.Packets[i]
			p.Packet(pk.LinkType, pk.Data, pk.CaptureInfo)
			an.packets++
			prog.tick(an.packets, func() (int64, int64) { return position(src) }, p.Connections)
		}
		p.EndBatch(b.Release)
		take()
	}
	p.Flush()
	take()
	an.stats, an.notReported, an.outOfOrder = p.Stats(), p.NotReported(), p.OutOfOrder()
	return an
}

// asDecided says a source is a stream (standard input, a pipe): its
// report, like a live capture's, gives each connection the moment it is
// decided, since the input may not end for hours.
func asDecided(src capture.Source) bool {
	st, ok := src.(interface{ Stream() bool })
	return ok && st.Stream()
}

// onePacket reads a stream a packet at a time: a batch would wait for
// packets to fill it, and the reader of a pipe wants each connection as
// soon as it is decided. The batch is reused: the pipeline is done with a
// packet when EndBatch returns (one worker).
func onePacket() func(capture.Source) (*capture.Batch, error) {
	b := &capture.Batch{Packets: make([]capture.Packet, 1)}
	return func(src capture.Source) (*capture.Batch, error) {
		pk, err := src.Next()
		if err != nil {
			return nil, err
		}
		b.Packets[0] = pk
		return b, nil
	}
}
