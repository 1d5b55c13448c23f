package main

import (
	"fmt"
	"io"
	"time"

	"github.com/hsdecode/hsdecode/report"
)

// progress draws one line on standard error while a capture is read: the
// file, the share of it read, packets and connections so far, and the
// rate. It is redrawn at most as often as its pace allows, and erased at
// the end of each file.
type progress struct {
	w         io.Writer
	file      string
	index, of int
	pace      pace
	start     time.Time
	last      time.Time
	drawn     bool
}

// pace is how often progress is redrawn: at most every redraw, looking at
// the clock every check packets.
type pace struct {
	redraw time.Duration
	check  int64
}

// defaultPace keeps the line readable and the clock off the packet path.
var defaultPace = pace{redraw: 200 * time.Millisecond, check: 1024}

func newProgress(w io.Writer, file string, index, of int, p pace) *progress {
	now := time.Now()
	return &progress{w: w, file: file, index: index, of: of, pace: p, start: now, last: now}
}

// tick is called per packet; it redraws when due. position returns the
// bytes read and the file size (-1 when unknown); connections the count so
// far. Both are only called when drawing.
func (p *progress) tick(packets int64, position func() (int64, int64), connections func() int64) {
	if p == nil || packets%p.pace.check != 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < p.pace.redraw {
		return
	}
	p.last = now
	p.draw(now, packets, position, connections)
}

func (p *progress) draw(now time.Time, packets int64, position func() (int64, int64), connections func() int64) {
	name := report.Escape(p.file)
	if p.of > 1 {
		name = fmt.Sprintf("%s (%d/%d)", name, p.index, p.of)
	}
	share := ""
	if read, size := position(); read >= 0 && size > 0 {
		share = fmt.Sprintf(" %3.0f%%", 100*float64(min(read, size))/float64(size))
	}
	rate := float64(packets) / max(now.Sub(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "\r\x1b[Khsdecode: %s%s, %d packets, %s, %.0f packets/s", name, share, packets, report.Count(connections(), "connection"), rate)
	p.drawn = true
}

// done erases the line.
func (p *progress) done() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
