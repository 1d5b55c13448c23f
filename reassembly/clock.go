package reassembly

import (
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Capture time moves forward by at most maxStep on one packet's word; a
// packet stamped further ahead is held until the next one says how far to
// believe it (see doc.go). Assembler and Sharded both keep capture time so.

// maxStep returns how far one packet may move capture time forward:
// IdleTimeout, and no more than fragTimeout. A shorter leap can only end
// the wait after a RST early; closedLinger and staleLinger are longer.
func maxStep(idle time.Duration) time.Duration {
	if idle > 0 && idle < fragTimeout {
		return idle
	}
	return fragTimeout
}

// heldFrame is a frame stamped more than maxStep ahead of capture time,
// held until the next packet says how far to believe it.
type heldFrame struct {
	held  bool
	link  layers.LinkType
	data  []byte // a copy
	ci    gopacket.CaptureInfo
	index uint64 // its packet number
}

// leaps reports whether a timestamp lies further ahead of capture time now
// than one packet may move it; any does before the first (now is zero).
func leaps(now, ts time.Time, step time.Duration) bool {
	return ts.Sub(now) > step
}

func (h *heldFrame) keep(link layers.LinkType, data []byte, ci gopacket.CaptureInfo, index uint64) {
	h.held, h.link, h.ci, h.index = true, link, ci, index
	h.data = append(h.data[:0], data...)
}

// confirmed returns capture time at the held frame, now being capture time
// before it and next the timestamp that came after it.
func (h *heldFrame) confirmed(now, next time.Time) time.Time {
	t := h.ci.Timestamp
	if next.Before(t) {
		t = next
	}
	if t.Before(now) {
		return now
	}
	return t
}

// unconfirmed returns capture time at the held frame at the end of the
// input: now, unless no timestamp came before it.
func (h *heldFrame) unconfirmed(now time.Time) time.Time {
	if now.IsZero() {
		return h.ci.Timestamp
	}
	return now
}

// sweeps is when idle connections are looked for: every quarter of
// IdleTimeout of capture time, so one is closed at most that much after it
// idled. An Assembler keeps it, or Sharded for all its workers, each
// looking when Sharded says.
type sweeps struct {
	every time.Duration // 0: never
	next  time.Time
}

func newSweeps(idle time.Duration) sweeps {
	if idle <= 0 {
		return sweeps{}
	}
	return sweeps{every: max(idle/4, 1)}
}

// due reports whether idle connections are to be looked for at capture time
// now, and if so puts the next look a quarter of IdleTimeout later.
func (s *sweeps) due(now time.Time) bool {
	if s.every == 0 || now.Before(s.next) {
		return false
	}
	s.next = now.Add(s.every)
	return true
}
