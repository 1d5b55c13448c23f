package flows

import (
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// The Tracker and the stream.Stream methods through which reassembly
// drives it. Each decoded event is dispatched by its kind from here to the
// file of its concern, as crypto/tls's handshake states dispatch on the
// message type.

// Tracker follows one connection; it implements stream.Stream.
type Tracker struct {
	info       stream.ConnInfo
	col        *Collector
	sides      [2]sideState
	decs       *[2]decode.Stream // the sides' decoders (newStream), nil before the first
	roleKnown  bool
	clientSide stream.Side

	res   Result
	stage stage

	// What the capture shows of the connection.
	tlsSeen  bool // a record decoded, or failed to, on either side
	notTLS   bool
	partial  bool // seen from the middle: recorded, not judged
	firstEvt bool

	// What the hellos negotiated, which the need functions of the order
	// tables read.
	mode               mode
	hrr                bool
	hvr                bool // the server sent a DTLS HelloVerifyRequest (RFC 6347, 4.2.1)
	certRequested      bool
	noCertificateAlert bool

	// The verdict so far; outcome gives their precedence.
	established bool
	fatal       bool // a fatal (or encrypted) alert before established
	gap         bool // bytes lost before the verdict: recorded, not judged

	keyless  keyless13
	keys     *keyState   // nil without key material (Options.Keys)
	t12      *tls12State // nil unless a TLS 1.0-1.2 handshake may be read past ChangeCipherSpec
	followed int         // ladder entries after the verdict (maxFollowed)

	mismatch [2]int // OverlapMismatch by side, until roles are settled

	// settle, when set, has the last word on the result before it
	// leaves: a transport's own reading of it (flows/dtls.go).
	settle func(*Result)
}

func newTracker(info stream.ConnInfo, col *Collector) *Tracker {
	t := &Tracker{info: info, col: col}
	t.res.Seq = info.Seq
	t.res.Start = info.Start
	t.res.End = info.Start
	t.res.Transport = info.Transport
	t.res.Tunnels = info.Tunnels
	for i := range t.sides {
		t.sides[i].pos = -1
	}
	if info.SawSYN {
		t.setClient(stream.SideA)
	}
	return t
}

// newStream makes a new decoder for side s. Both sides' decoders are made
// in one allocation, with the first; a side's new decoder (after a gap)
// takes the place of its old one, released before.
func (t *Tracker) newStream(s stream.Side, o decode.Options) *decode.Stream {
	if t.decs == nil {
		t.decs = new([2]decode.Stream)
	}
	t.decs[s] = *decode.NewStream(o)
	return &t.decs[s]
}

// decided reports whether the outcome can no longer change.
func (t *Tracker) decided() bool {
	return t.established || t.fatal || t.gap || t.notTLS || len(t.res.Violations) > 0
}

// judging reports whether messages are checked against the order: not
// in a connection seen from the middle (partial), nor after bytes went
// missing (gap), where they are only recorded.
func (t *Tracker) judging() bool { return !t.partial && !t.gap }

// Done implements stream.Stream. After a violation it lists what both
// sides go on sending, and waits for an answer (usually an alert), which
// tells the user what the peer made of it, up to maxFollowed
// messages; in a partial connection it stops once both sides carry data;
// after a gap, once each side carries data or is not read.
func (t *Tracker) Done() bool {
	switch {
	case t.stage == stageEmitted:
		return true
	case len(t.res.Violations) > 0:
		return t.sides[0].stopped() && t.sides[1].stopped() || t.sides[0].alerted || t.sides[1].alerted || t.followedFull()
	case t.established && t.col.follow:
		return false
	case t.fatal && t.col.follow && !t.gap:
		// The peer's answer to a fatal alert (its close_notify, its own
		// alert) is what tshark lists after it, too.
		return t.sides[0].stopped() && t.sides[1].stopped() || t.sides[0].alerted && t.sides[1].alerted || t.followedFull()
	case t.gap && !t.fatal:
		return (t.sides[0].appData || t.sides[0].stopped()) && (t.sides[1].appData || t.sides[1].stopped())
	case t.decided():
		return true
	case t.partial:
		return t.sides[0].appData && t.sides[1].appData
	}
	return false
}

// Data implements stream.Stream.
func (t *Tracker) Data(s stream.Side, b []byte, ts time.Time) {
	t.res.End = ts
	d := &t.sides[s]
	if d.bytes < MaxFirstBytes {
		t.keepFirst(s, b)
	}
	d.bytes += int64(len(b))
	if d.stopped() || t.Done() {
		return
	}
	if d.phase == phaseWaiting {
		var ok bool
		if b, ok = t.start(s, b); !ok {
			return
		}
	}
	d.dec.Feed(b)
	t.drain(s, ts)
	if t.Done() {
		// Nothing more will be decoded: let the buffers go now rather
		// than when the connection closes, maybe much later.
		t.releaseStreams()
	}
	t.emitIfFinal()
}

func (t *Tracker) drain(s stream.Side, ts time.Time) {
	d := &t.sides[s]
	for !d.stopped() {
		ev, ok, err := d.dec.Next()
		if err != nil {
			t.malformed(s, err, ts)
			return
		}
		if !ok {
			break
		}
		t.event(s, ev, ts)
	}
	t.searchedTooFar(s)
}

// event handles one decoded event of side s.
func (t *Tracker) event(s stream.Side, ev decode.Event, ts time.Time) {
	if !t.roleKnown {
		t.assignRoles(s, ev)
	}
	d := &t.sides[s]
	if !t.firstEvt {
		t.firstEvt = true
		isCH := ev.Kind == decode.EventHandshake && ev.Message.Type() == decode.HandshakeClientHello
		if !t.info.SawSYN && !(d.role == Client && isCH && d.dec.Skipped() == 0) {
			t.partial = true
		}
	}
	t.tlsSeen = true
	if t.established && !isTLS13(t.res.Version) {
		t.after12(d, ev, ts)
		return
	}
	if t.established && !t.following13() {
		// Followed past the verdict (Options.Follow) without keys: only
		// alerts are news; renegotiation and data travel encrypted.
		if ev.Kind == decode.EventAlert || ev.Kind == decode.EventEncryptedAlert {
			t.alert(d, ev, ts)
		}
		return
	}
	if t.keys != nil && t.keys.pending {
		if t.hold(s, ev, ts) {
			return
		}
		t.resolveKeys()
		if d.stopped() || t.Done() {
			return
		}
	}
	switch ev.Kind {
	case decode.EventHandshake:
		t.handshake(d, ev, ts)
	case decode.EventEncryptedHandshake:
		if t.readable12(d) && t.judging() {
			t.finished12(d, ev, ts)
			return
		}
		t.encryptedHandshake(d, ev, ts)
	case decode.EventChangeCipherSpec:
		t.changeCipherSpec(d, ts)
	case decode.EventAlert, decode.EventEncryptedAlert:
		if ev.Kind == decode.EventEncryptedAlert && t.readable12(d) && t.judging() {
			t.alert12(d, ev, ts)
			return
		}
		t.alert(d, ev, ts)
	case decode.EventApplicationData:
		if t.earlyRecord(d, ev, ts) {
			return
		}
		if t.keys.decrypting13() && t.judging() {
			t.protected(d, ev, ts)
			return
		}
		if t.readable12(d) && t.judging() {
			t.data12(d, ev, ts)
			return
		}
		t.applicationData(d, ev, ts)
	case decode.EventHeartbeat:
		t.record(d, kindHeartbeat, ev.Length, false, ts)
	}
}

// Buffered implements stream.Buffered: the decoders' buffers, a
// decrypted message incomplete, and a plaintext prelude, which a peer can make grow up to a record or a
// handshake message at a time while the verdict waits.
func (t *Tracker) Buffered() int {
	n := 0
	for i := range t.sides {
		d := &t.sides[i]
		n += len(d.prelude)
		if d.dec != nil {
			n += d.dec.Buffered()
		}
	}
	if t.keys != nil {
		// A decrypted handshake message waiting for its next record, and
		// the server's records waiting for keys.
		n += len(t.keys.sides[0].hs) + len(t.keys.sides[1].hs) + t.keys.heldBytes
	}
	if t.t12 != nil {
		n += len(t.t12.hs[0]) + len(t.t12.hs[1])
	}
	return n
}

// End implements stream.Stream.
func (t *Tracker) End(s stream.Side, reason stream.EndReason, ts time.Time) {
	t.res.End = ts
	d := &t.sides[s]
	if d.end == 0 {
		d.end = reason
	}
}

// Close implements stream.Stream: it settles the outcome and hands the
// result to the collector.
func (t *Tracker) Close(reason stream.EndReason, last time.Time) {
	if t.stage != stageOpen {
		// Closed twice, or its result already handed over (Options.AsDecided).
		return
	}
	t.stage = stageClosed
	if last.After(t.res.End) {
		t.res.End = last
	}
	t.res.Closed = closedNames[reason]
	if !t.roleKnown {
		t.guessRoles()
	}
	if t.keys != nil && t.keys.pending {
		t.resolveKeys()
	}
	t.settleTLS13()
	t.settleKeys()
	t.endReneg()
	t.res.Outcome = t.outcome()
	t.settleMismatch()
	t.settleFirstBytes()
	t.releaseStreams()
	if t.settle != nil {
		t.settle(&t.res)
	}
	t.col.add(t)
}
