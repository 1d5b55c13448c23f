package flows

import (
	"errors"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/reassembly"
)

// maxPrelude bounds the plaintext a client may send before its ClientHello
// (SMTP/IMAP STARTTLS, a SOCKS or HTTP CONNECT exchange), and the bytes a
// direction without a captured start may skip looking for a record
// boundary. Past it the stream is taken as not TLS.
const maxPrelude = 64 << 10

// tls13AlertLength is the length of a TLS 1.3 record holding a single
// alert: 2 bytes of alert, 1 of inner content type and a 16-byte AEAD tag
// (RFC 8446, 5.2). A server record of exactly this length that answers the
// client's first flight and is the server's last is taken as its alert.
const tls13AlertLength = 2 + 1 + 16

// alertNoCertificate is SSL 3.0's no_certificate alert (RFC 6101, 5.4.6),
// which TLS dropped from its registry's live values.
const alertNoCertificate decode.AlertDescription = 41

// sideState is what the tracker knows of one side, as crypto/tls keeps a
// state struct per role: how far its bytes are read (phase), where it
// stands in its flight, and what it sent that the verdict reads.
type sideState struct {
	role  Role
	phase phase
	// resync says the side's first record was searched for rather than
	// read from its first byte: the capture began mid-stream, the side
	// followed a plaintext prelude, or it lost bytes. It outlives the
	// phase, as the peer starting later and the not-TLS rule still read it.
	resync  bool
	dec     *decode.Stream // nil before its first TLS byte and once released
	prelude []byte         // a client's plaintext before its ClientHello
	bytes   int64          // delivered so far: where a gap happens

	flight []slot
	pos    int // index in flight of the last slot filled, -1 before any
	seen   tally
	ccs    int

	finished  bool // sent its Finished (TLS <= 1.2)
	encrypted int  // TLS 1.3 opaque records after ServerHello
	alerted   bool
	appData   bool
	end       reassembly.EndReason // how this side ended, 0 while open
}

// tally counts the messages of each kind a side sent. A handshake has a
// dozen kinds at most, so a small array beats a map allocated per
// connection; kinds past its size are not counted, which only weakens the
// duplicate check of messages no real handshake repeats that often.
type tally struct {
	kinds [12]kind
	n     [12]int
	len   int
}

func (c *tally) count(k kind) int {
	for i := 0; i < c.len; i++ {
		if c.kinds[i] == k {
			return c.n[i]
		}
	}
	return 0
}

func (c *tally) add(k kind) {
	for i := 0; i < c.len; i++ {
		if c.kinds[i] == k {
			c.n[i]++
			return
		}
	}
	if c.len < len(c.kinds) {
		c.kinds[c.len], c.n[c.len] = k, 1
		c.len++
	}
}

// Tracker follows one connection; it implements reassembly.Stream.
type Tracker struct {
	info       reassembly.ConnInfo
	col        *Collector
	sides      [2]sideState
	roleKnown  bool
	clientSide reassembly.Side

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
	certRequested      bool
	noCertificateAlert bool

	// The verdict so far; outcome gives their precedence.
	established bool
	fatal       bool // a fatal (or encrypted) alert before established
	gap         bool // bytes lost before the verdict: recorded, not judged

	keyless keyless13
}

// stage is where a tracker's result stands.
type stage uint8

const (
	stageOpen    stage = iota
	stageEmitted       // handed to Options.Emit before its connection closed
	stageClosed        // handed over at the close
)

// mode is the handshake the ServerHello chose, which decides the flights.
type mode uint8

const (
	modeHello     mode = iota // no ServerHello taken yet
	modeFull12                // a full TLS 1.0-1.2 or SSL 3.0 handshake
	modeResumed12             // an abbreviated TLS 1.0-1.2 handshake
	modeTLS13                 // TLS 1.3 or one of its drafts
)

func newTracker(info reassembly.ConnInfo, col *Collector) *Tracker {
	t := &Tracker{info: info, col: col}
	t.res.Seq = info.Seq
	t.res.Start = info.Start
	t.res.End = info.Start
	for i := range t.sides {
		t.sides[i].pos = -1
	}
	if info.SawSYN {
		t.setClient(reassembly.SideA)
	}
	return t
}

func (t *Tracker) setClient(s reassembly.Side) {
	t.roleKnown = true
	t.clientSide = s
	t.sides[s].role, t.sides[1-s].role = Client, Server
	t.sides[s].flight, t.sides[1-s].flight = clientHello, serverHello
	if s == reassembly.SideA {
		t.res.Client, t.res.Server = t.info.A, t.info.B
	} else {
		t.res.Client, t.res.Server = t.info.B, t.info.A
	}
}

func (t *Tracker) client() *sideState { return &t.sides[t.clientSide] }
func (t *Tracker) server() *sideState { return &t.sides[1-t.clientSide] }

func (t *Tracker) peer(d *sideState) *sideState {
	if d.role == Client {
		return t.server()
	}
	return t.client()
}

// decided reports whether the outcome can no longer change.
func (t *Tracker) decided() bool {
	return t.established || t.fatal || t.gap || t.notTLS || len(t.res.Violations) > 0
}

// Done implements reassembly.Stream. After a violation it waits for the
// peer's answer (usually an alert), which tells the user what the peer made
// of it; in a partial connection it stops once both sides carry data;
// after a gap, once each side carries data or is not read.
func (t *Tracker) Done() bool {
	switch {
	case t.stage == stageEmitted:
		return true
	case len(t.res.Violations) > 0:
		return t.sides[0].stopped() && t.sides[1].stopped() || t.sides[0].alerted || t.sides[1].alerted
	case t.established && t.col.follow:
		return false
	case t.gap && !t.fatal:
		return (t.sides[0].appData || t.sides[0].stopped()) && (t.sides[1].appData || t.sides[1].stopped())
	case t.decided():
		return true
	case t.partial:
		return t.sides[0].appData && t.sides[1].appData
	}
	return false
}

// judging reports whether messages are checked against the order: not
// in a connection seen from the middle (partial), nor after bytes went
// missing (gap), where they are only recorded.
func (t *Tracker) judging() bool { return !t.partial && !t.gap }

// Data implements reassembly.Stream.
func (t *Tracker) Data(s reassembly.Side, b []byte, ts time.Time) {
	t.res.End = ts
	d := &t.sides[s]
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

// Buffered implements reassembly.Buffered: the decoders' buffers and a
// plaintext prelude, which a peer can make grow up to a record or a
// handshake message at a time while the verdict waits.
func (t *Tracker) Buffered() int {
	n := 0
	for i := range t.sides {
		d := &t.sides[i]
		n += cap(d.prelude)
		if d.dec != nil {
			n += d.dec.Buffered()
		}
	}
	return n
}

// releaseStreams lets the decoders' buffers go to later connections.
func (t *Tracker) releaseStreams() {
	for i := range t.sides {
		if d := &t.sides[i]; d.dec != nil {
			d.dec.Release()
			d.dec = nil
		}
	}
}

// emitIfFinal hands the result to Options.Emit as soon as the verdict is
// final, so a live capture shows it while the connection is still open.
func (t *Tracker) emitIfFinal() {
	if t.col.emit == nil || t.stage == stageEmitted || !t.Done() {
		return
	}
	t.stage = stageEmitted
	t.res.Outcome = t.outcome()
	t.col.add(t)
	// A reported connection may stay open for hours in a live capture:
	// keep none of its state, only the flag that makes Done true.
	t.releaseStreams()
	t.res, t.sides = Result{}, [2]sideState{}
}

// start decides how a direction's first bytes are decoded and returns the
// bytes to feed, or false while the direction is still in a plaintext
// prelude (or not TLS).
func (t *Tracker) start(s reassembly.Side, b []byte) ([]byte, bool) {
	d := &t.sides[s]
	if !t.info.SawSYN {
		// The capture began mid-connection: find the next record boundary.
		d.phase, d.resync = phaseReading, true
		d.dec = decode.NewStream(decode.Options{Resync: true})
		return b, true
	}
	if s != t.clientSide {
		if t.client().phase == phaseWaiting {
			// Server bytes before the client's TLS are a plaintext
			// prelude (an SMTP banner, a STARTTLS answer).
			return nil, false
		}
		d.phase, d.resync = phaseReading, t.client().resync
		d.dec = decode.NewStream(decode.Options{Resync: d.resync})
		return b, true
	}
	if d.prelude == nil && decode.LooksLikeTLS(b) {
		d.phase = phaseReading
		d.dec = decode.NewStream(decode.Options{})
		return b, true
	}
	d.prelude = append(d.prelude, b...)
	if i := decode.FindClientHello(d.prelude); i >= 0 {
		b, d.prelude = d.prelude[i:], nil
		d.phase, d.resync = phaseReading, true
		d.dec = decode.NewStream(decode.Options{})
		return b, true
	}
	if len(d.prelude) > maxPrelude {
		t.notTLS = true
		d.prelude = nil
	}
	return nil, false
}

func (t *Tracker) drain(s reassembly.Side, ts time.Time) {
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
	if d.resync && !t.tlsSeen && d.dec.Skipped() > maxPrelude {
		d.phase = phaseStopped
		if o := t.sides[1-s].phase; o == phaseStopped || o == phaseWaiting {
			t.notTLS = true
		}
	}
}

// malformed turns a decode error into a violation of the side that sent it.
func (t *Tracker) malformed(s reassembly.Side, err error, ts time.Time) {
	if !t.roleKnown {
		t.guessRoles()
	}
	d := &t.sides[s]
	if d.phase == phaseLost {
		// The boundary found after a gap may be a false one, and what
		// the lost bytes said (a ChangeCipherSpec) is unknown: bytes
		// that do not decode there are the capture's, not the sender's.
		d.phase = phaseStopped
		return
	}
	var de *decode.Error
	code, detail := CodeMalformedRecord, err.Error()
	if errors.As(err, &de) {
		code, detail = Code(de.Code), fmt.Sprintf("%s at stream offset %d", de.Reason, de.Offset)
	}
	got := "record"
	if code == CodeMalformedHandshake {
		got = "handshake"
	}
	if !t.tlsSeen && d.role == Server && t.client().phase != phaseWaiting {
		detail = "server does not answer in TLS: " + detail
	}
	t.tlsSeen = true
	t.violate(d, code, got, nil, detail, ts)
}

// guessRoles picks the server of a connection whose SYN was not captured
// and whose first record says nothing about roles: the endpoint on the
// lower port, as servers listen on well-known ports.
func (t *Tracker) guessRoles() {
	if t.info.A.Port() < t.info.B.Port() {
		t.setClient(reassembly.SideB)
	} else {
		t.setClient(reassembly.SideA)
	}
}

// event handles one decoded event of side s.
func (t *Tracker) event(s reassembly.Side, ev decode.Event, ts time.Time) {
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
	if t.established {
		// Followed past the verdict (Options.Follow): only alerts are news;
		// renegotiation and data travel encrypted.
		if ev.Kind == decode.EventAlert || ev.Kind == decode.EventEncryptedAlert {
			t.alert(d, ev, ts)
		}
		return
	}
	switch ev.Kind {
	case decode.EventHandshake:
		t.handshake(d, ev, ts)
	case decode.EventEncryptedHandshake:
		t.record(d, kindFinished, ev.Length, true, ts)
		if !t.judging() {
			return
		}
		if t.step(d, kindFinished, ts) {
			d.finished = true
			if t.client().finished && t.server().finished {
				t.established = true
			}
		}
	case decode.EventChangeCipherSpec:
		t.record(d, kindChangeCipherSpec, 0, false, ts)
		if t.judging() && (!t.chooseMode(d, kindChangeCipherSpec, ts) || !t.step(d, kindChangeCipherSpec, ts)) {
			return
		}
		d.ccs++
		// After its CCS a side's handshake records are its encrypted
		// Finished (RFC 5246, 7.1); TLS 1.3 protects records as type 23
		// instead, and its compatibility CCS changes nothing (RFC 8446, D.4).
		if !t.judging() || (t.res.ServerHello != nil && t.mode != modeTLS13) {
			d.dec.SetEncrypted()
		}
	case decode.EventAlert, decode.EventEncryptedAlert:
		t.alert(d, ev, ts)
	case decode.EventApplicationData:
		t.applicationData(d, ev, ts)
	case decode.EventHeartbeat:
		t.record(d, kindHeartbeat, ev.Length, false, ts)
	}
}

// assignRoles learns who the client is from the first event of a
// connection whose SYN was not seen (report.md: "without a SYN, the side
// that sent the ClientHello").
func (t *Tracker) assignRoles(s reassembly.Side, ev decode.Event) {
	if ev.Kind == decode.EventHandshake {
		switch ev.Message.Type() {
		case decode.HandshakeClientHello:
			t.setClient(s)
			return
		case decode.HandshakeServerHello:
			t.setClient(1 - s)
			return
		}
	}
	t.guessRoles()
}

// record appends a message to the ladder. Opaque TLS 1.3 records are listed
// only until the handshake is decided, so bulk data does not fill it.
func (t *Tracker) record(d *sideState, k kind, length int, encrypted bool, ts time.Time) {
	if k == kindEncrypted && t.decided() {
		return
	}
	if t.res.Messages == nil {
		t.res.Messages = make([]Message, 0, 16) // a whole TLS 1.2 or 1.3 ladder
	}
	t.res.Messages = append(t.res.Messages, Message{TS: ts, From: d.role, Type: k.String(), Length: length, Encrypted: encrypted})
}

func (t *Tracker) handshake(d *sideState, ev decode.Event, ts time.Time) {
	kind := messageKind(ev.Message)
	t.record(d, kind, ev.Length, false, ts)
	t.details(d, ev.Message)
	if t.judging() && ev.Message.Type() != decode.HandshakeHelloRequest && (!t.chooseMode(d, kind, ts) || !t.step(d, kind, ts)) {
		return
	}
	switch m := ev.Message.(type) {
	case *decode.ServerKeyExchange:
		if sh := t.res.ServerHello; sh != nil && t.res.ServerKeyExchange == nil {
			p, err := m.Params(sh.CipherSuite, t.res.Version)
			if err != nil {
				t.violate(d, CodeMalformedHandshake, kind.String(), nil, err.Error(), ts)
				return
			}
			t.res.ServerKeyExchange = p
		}
	case *decode.ClientKeyExchange:
		if sh := t.res.ServerHello; sh != nil && t.res.ClientKeyExchange == nil {
			p, err := m.Params(sh.CipherSuite, t.res.Version)
			if err != nil {
				t.violate(d, CodeMalformedHandshake, kind.String(), nil, err.Error(), ts)
				return
			}
			t.res.ClientKeyExchange = p
		}
	case *decode.ClientHello:
		if t.res.ClientHello == nil {
			t.res.ClientHello = m
			t.res.ServerName = m.ServerName
		}
	case *decode.ServerHello:
		if m.HelloRetryRequest {
			t.hrr = true
			return
		}
		t.serverHello(d, m, ts)
	case *decode.CertificateRequest:
		t.certRequested = true
		if t.res.ClientCertificate == "" || t.res.ClientCertificate == ClientCertNone {
			t.res.ClientCertificate = ClientCertMissing
		}
	case *decode.Certificate:
		if d.role == Client {
			t.res.ClientCertificate = ClientCertEmpty
			if len(m.Certificates) > 0 {
				t.res.ClientCertificate = ClientCertSent
			}
		}
	}
}

// details keeps what a message shows in clear, the first of each kind,
// whether or not the order allows it: a user looking at a violation wants
// to see the offending message too. Certificates are kept as summaries,
// so the message and its DER can go.
func (t *Tracker) details(d *sideState, m decode.Message) {
	r := &t.res
	switch m := m.(type) {
	case *decode.ServerHello:
		if m.HelloRetryRequest && r.HelloRetryRequest == nil {
			r.HelloRetryRequest = m
		}
	case *decode.Certificate:
		if d.role == Server && r.ServerCertificates == nil {
			r.ServerCertificates = t.col.chain(m)
		} else if d.role == Client && r.ClientCertificates == nil {
			r.ClientCertificates = t.col.chain(m)
		}
	case *decode.CertificateRequest:
		if r.CertificateRequest == nil {
			r.CertificateRequest = m
		}
	case *decode.CertificateStatus:
		if r.CertificateStatus == nil {
			r.CertificateStatus = m
		}
	case *decode.NewSessionTicket:
		if r.NewSessionTicket == nil {
			r.NewSessionTicket = m
		}
	}
}

// serverHello records what the ServerHello negotiated, checks the version
// against the client's offer, and moves both sides to the flights of the
// negotiated version.
func (t *Tracker) serverHello(d *sideState, sh *decode.ServerHello, ts time.Time) {
	t.res.ServerHello = sh
	t.res.Version = sh.Version()
	t.res.CipherSuite, t.res.HasCipherSuite = sh.CipherSuite, true
	t.res.ALPN = sh.ALPN
	if !t.judging() {
		t.mode = modeFull12
		if isTLS13(t.res.Version) {
			t.mode = modeTLS13
		}
		return
	}
	if msg := t.versionProblem(sh); msg != "" {
		t.violate(d, CodeVersionMismatch, kindServerHello.String(), nil, msg, ts)
		return
	}
	c := t.client()
	if isTLS13(t.res.Version) {
		t.mode = modeTLS13
		t.res.Resumed = sh.PreSharedKey
		d.flight, d.pos = server13, 0
		c.flight, c.pos = client13, 0
		if c.ccs > 0 {
			c.pos = 1
		}
		return
	}
	t.mode = modeFull12
	t.res.ClientCertificate = ClientCertNone
	d.flight, d.pos = serverFull12, 0
	c.flight, c.pos = clientFull12, 0
}

// isTLS13 says whether v is TLS 1.3 or one of its drafts, 0x7f00 | draft
// (draft-ietf-tls-tls13-28, 4.2.1), which follow the same order on the wire.
func isTLS13(v decode.Version) bool { return v == decode.VersionTLS13 || v>>8 == 0x7f }

// versionProblem checks the server's version against the client's offer
// (RFC 8446, 4.1.3 and 4.2.1; RFC 5246, 7.4.1.3 and Appendix E).
func (t *Tracker) versionProblem(sh *decode.ServerHello) string {
	ch := t.res.ClientHello
	if ch == nil {
		return "" // the ClientHello did not parse: no offer to check against
	}
	offered := func(v decode.Version) string {
		for _, o := range ch.SupportedVersions {
			if o == v {
				return ""
			}
		}
		return fmt.Sprintf("server selected %s, which the client did not offer in supported_versions (RFC 8446, 4.2.1)", v)
	}
	if sh.SupportedVersion != 0 {
		if !isTLS13(sh.SupportedVersion) {
			return fmt.Sprintf("supported_versions selects %s: a server negotiating TLS 1.2 or below must not send it (RFC 8446, 4.2.1)", sh.SupportedVersion)
		}
		return offered(sh.SupportedVersion)
	}
	v := sh.LegacyVersion
	switch {
	case isTLS13(v) && v != decode.VersionTLS13:
		// Drafts up to 21 put their version in ServerHello.version
		// (draft-ietf-tls-tls13-21, 4.1.3).
		return offered(v)
	case v < decode.VersionSSL30 || v > decode.VersionTLS12:
		return fmt.Sprintf("ServerHello version %s without supported_versions (RFC 8446, 4.1.3)", v)
	case v > ch.LegacyVersion:
		return fmt.Sprintf("server selected %s, above the client's %s (RFC 5246, E.1)", v, ch.LegacyVersion)
	}
	return ""
}

// chooseMode switches to the abbreviated flights when the server follows its
// ServerHello with NewSessionTicket or ChangeCipherSpec, cross-checked with
// the session id (RFC 5246, 7.4.1.3; RFC 5077, 3.4). It reports whether the
// message may still be checked against the tables.
func (t *Tracker) chooseMode(d *sideState, k kind, ts time.Time) bool {
	// Only the server's first message after a TLS <= 1.2 ServerHello tells
	// (handshake-order.md section 3).
	if d.role != Server || t.res.ClientHello == nil || t.res.ServerHello == nil || t.mode == modeTLS13 || t.mode == modeResumed12 || d.pos != 0 {
		return true
	}
	ch, sh := t.res.ClientHello, t.res.ServerHello
	echoed := len(ch.SessionID) > 0 && string(ch.SessionID) == string(sh.SessionID)
	switch k {
	case kindNewSessionTicket, kindChangeCipherSpec:
		if echoed || (ch.SessionTicket && sh.SessionTicket) || ch.SessionTicketLength > 0 {
			t.mode, t.res.Resumed = modeResumed12, true
			t.res.ClientCertificate = ""
			d.flight = serverAbbreviated12
			t.client().flight = clientAbbreviated12
		}
	case kindServerHelloDone, kindCertificate, kindServerKeyExchange, kindCertificateRequest, kindCertificateStatus:
		if echoed {
			t.violate(d, CodeUnexpectedMessage, k.String(), names([]kind{kindNewSessionTicket, kindChangeCipherSpec}),
				"ServerHello echoed the client's session_id, which resumes the session, but the server sent "+k.String()+" (RFC 5246, 7.4.1.3)", ts)
			return false
		}
	}
	return true
}

func (t *Tracker) alert(d *sideState, ev decode.Event, ts time.Time) {
	d.alerted = true
	t.record(d, kindAlert, 0, ev.Kind == decode.EventEncryptedAlert, ts)
	a := Alert{TS: ts, From: d.role, Encrypted: ev.Kind == decode.EventEncryptedAlert}
	if !a.Encrypted {
		a.Level, a.Description = ev.Alert.Level, ev.Alert.Description
	}
	t.res.Alerts = append(t.res.Alerts, a)
	if t.established {
		return
	}
	switch {
	case a.Level == decode.AlertLevelFatal, a.Encrypted && t.judging():
		// A fatal alert ends the handshake; an encrypted one before the
		// handshake is established can only be its end too. Seen in a
		// capture that began mid-connection, an encrypted alert is most
		// likely the close_notify of an established one.
		t.fatal = true
	case d.role == Client && a.Description == alertNoCertificate:
		t.noCertificateAlert = true // SSL 3.0 (RFC 6101, 5.4.6)
		if t.certRequested {
			t.res.ClientCertificate = ClientCertMissing
		}
	}
}

func (t *Tracker) applicationData(d *sideState, ev decode.Event, ts time.Time) {
	d.appData = true
	if !t.judging() {
		return
	}
	ch := t.res.ClientHello
	switch {
	case t.mode == modeTLS13 && d.role == Client && d.encrypted == 0 && ev.Length == tls13AlertLength:
		// The client's first protected record cannot be its Finished,
		// which needs at least 4+32+1+16 bytes (RFC 8446, 4.4.4): it is
		// an alert, how a client rejects the server's certificate.
		t.alert(d, decode.Event{Kind: decode.EventEncryptedAlert, Length: ev.Length}, ts)
	case t.mode == modeTLS13:
		t.record(d, kindEncrypted, ev.Length, true, ts)
		if !t.step(d, kindEncrypted, ts) {
			return
		}
		d.encrypted++
		t.tls13Progress(d, ev.Length)
	case t.res.ServerHello == nil && d.role == Client && ch != nil && ch.EarlyData:
		// 0-RTT data may follow a ClientHello with early_data (RFC 8446, 2.3).
		t.record(d, kindEncrypted, ev.Length, true, ts)
	case !d.finished:
		t.record(d, kindApplicationData, ev.Length, false, ts)
		t.violate(d, CodeApplicationDataBeforeFinished, kindApplicationData.String(), t.expected(d),
			fmt.Sprintf("%s sent application data before its Finished (RFC 5246, 7.4.9)", d.role), ts)
	}
}

// tls13Progress applies the rule of handshake-order.md section 4 without
// keys: established when each side has sent an encrypted record after
// ServerHello and the server answered the client's first encrypted flight
// with something other than a lone alert-sized record.
func (t *Tracker) tls13Progress(d *sideState, length int) {
	if d.role == Server && t.client().encrypted > 0 {
		t.keyless.serverAfterClient++
		t.keyless.lastServerRecordLen = length
		if length != tls13AlertLength || t.keyless.serverAfterClient > 1 {
			t.established = true
		}
	}
}

// step moves d through its flight with a message of the given kind, or
// records the violation it makes. It reports whether the message was legal.
func (t *Tracker) step(d *sideState, got kind, ts time.Time) bool {
	fl := d.flight
	if d.pos >= 0 && fl[d.pos].repeat && fl[d.pos].kind == got {
		return true
	}
	j := -1
	for k := d.pos + 1; k < len(fl); k++ {
		if fl[k].kind == got {
			j = k
			break
		}
	}
	code := CodeUnexpectedMessage
	if got == kindChangeCipherSpec {
		code = CodeUnexpectedChangeCipherSpec
	}
	if j < 0 || fl[j].need(t) == forbidden {
		detail := fmt.Sprintf("%s may not send %s here", d.role, got)
		if d.seen.count(got) > 0 && got != kindChangeCipherSpec {
			code = CodeDuplicateMessage
			detail = fmt.Sprintf("%s sent %s again", d.role, got)
		} else if j >= 0 {
			detail = fmt.Sprintf("%s is not allowed in this handshake (%s)", got, fl[j].rfc)
		}
		t.violate(d, code, got.String(), t.expected(d), detail, ts)
		return false
	}
	var structural, byRule []kind
	for k := d.pos + 1; k < j; k++ {
		switch fl[k].need(t) {
		case required:
			structural = append(structural, fl[k].kind)
		case requiredByRule:
			byRule = append(byRule, fl[k].kind)
		}
	}
	switch {
	case len(structural) > 0:
		t.violate(d, code, got.String(), t.expected(d),
			fmt.Sprintf("%s sent %s before %s (%s)", d.role, got, structural[0], fl[j].rfc), ts)
		return false
	case len(byRule) > 0:
		t.violate(d, CodeMissingMessage, got.String(), names(byRule),
			fmt.Sprintf("%s sent %s without %s, which this handshake requires (%s)", d.role, got, byRule[0], t.ruleOf(fl, byRule[0])), ts)
		return false
	}
	if !t.afterOK(d, fl[j]) {
		// Nothing is legal from d until the peer moves: no expected list.
		t.violate(d, code, got.String(), nil,
			fmt.Sprintf("%s sent %s before the peer's %s (%s)", d.role, got, t.afterName(fl[j]), fl[j].rfc), ts)
		return false
	}
	d.pos = j
	d.seen.add(got)
	return true
}

func (t *Tracker) ruleOf(fl []slot, k kind) string {
	for _, s := range fl {
		if s.kind == k {
			return s.rfc
		}
	}
	return ""
}

func (t *Tracker) afterOK(d *sideState, s slot) bool {
	if s.afterOK != nil {
		return s.afterOK(t)
	}
	return s.after == kindNone || t.peer(d).seen.count(s.after) > 0
}

func (t *Tracker) afterName(s slot) string {
	if s.after == kindNone {
		return "second client_hello"
	}
	return s.after.String()
}

// expected lists what d could legally send next: the slots after its
// position up to and including the first one it must send.
func (t *Tracker) expected(d *sideState) []string {
	var out []string
	for k := d.pos + 1; k < len(d.flight); k++ {
		n := d.flight[k].need(t)
		if n == forbidden {
			continue
		}
		out = append(out, d.flight[k].kind.String())
		if n != optional {
			break
		}
	}
	return out
}

// violate records a violation by d; that direction is not parsed further
// (CONVENTIONS.md section 4).
func (t *Tracker) violate(d *sideState, code Code, got string, expected []string, detail string, ts time.Time) {
	t.res.Violations = append(t.res.Violations, Violation{TS: ts, From: d.role, Code: code, Got: got, Expected: expected, Detail: detail})
	d.phase = phaseStopped
}

// Gap implements reassembly.Stream: bytes lost before the handshake is
// decided leave its order undecidable, so the tracker stops judging. It
// still reads what follows, for what it says (the peer's hello, alerts):
// the other side goes on, and this side is read again from the first
// record boundary after the gap, as a capture that starts there.
//
// A gap that cannot change the outcome (a partial connection, or one
// already decided) is not recorded, but the side is still read again
// from a record boundary: read across the hole, the bytes after it would
// be taken for records and make a violation out of what the capture lost.
func (t *Tracker) Gap(s reassembly.Side, missing int, ts time.Time) {
	if t.stage == stageEmitted {
		return
	}
	d := &t.sides[s]
	if !t.partial && (!t.decided() || t.gap) {
		t.res.End = ts
		if !t.roleKnown {
			t.guessRoles()
		}
		if !t.gap {
			t.gap = true
			t.res.Gap = &Gap{TS: ts, From: d.role, Offset: d.bytes, Missing: missing}
		}
	}
	if !d.stopped() && !t.Done() {
		d.phase, d.resync, d.prelude = phaseLost, true, nil
		if d.dec != nil {
			d.dec.Release()
		}
		d.dec = decode.NewStream(decode.Options{Resync: true})
	}
	t.emitIfFinal()
}

// End implements reassembly.Stream.
func (t *Tracker) End(s reassembly.Side, reason reassembly.EndReason, ts time.Time) {
	t.res.End = ts
	d := &t.sides[s]
	if d.end == 0 {
		d.end = reason
	}
}

// Close implements reassembly.Stream: it settles the outcome and hands the
// result to the collector.
func (t *Tracker) Close(reason reassembly.EndReason, last time.Time) {
	if t.stage != stageOpen {
		// Closed twice, or its result already went to Options.Emit.
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
	t.settleTLS13()
	t.res.Outcome = t.outcome()
	t.releaseStreams()
	t.col.add(t)
}

var closedNames = map[reassembly.EndReason]string{
	reassembly.EndFIN:     "fin",
	reassembly.EndRST:     "rst",
	reassembly.EndCapture: "capture_end",
	reassembly.EndIdle:    "idle",
	reassembly.EndMemory:  "memory",
	reassembly.EndReused:  "reused",
}

// settleTLS13 finishes the keyless TLS 1.3 rule at the end of the
// connection: a lone alert-sized server record after the client's flight is
// the server's encrypted alert; with no server record at all, the handshake
// stands unless the server reset the connection.
func (t *Tracker) settleTLS13() {
	if t.mode != modeTLS13 || t.decided() || t.partial {
		return
	}
	c, s := t.client(), t.server()
	if c.encrypted == 0 || s.encrypted == 0 {
		return
	}
	switch {
	case t.keyless.serverAfterClient == 1 && t.keyless.lastServerRecordLen == tls13AlertLength:
		// Relabel the record on the ladder now that its meaning is known.
		ts := t.res.End
		for i := len(t.res.Messages) - 1; i >= 0; i-- {
			if m := &t.res.Messages[i]; m.From == Server && m.Type == TypeEncrypted {
				m.Type, ts = TypeAlert, m.TS
				break
			}
		}
		t.res.Alerts = append(t.res.Alerts, Alert{TS: ts, From: Server, Encrypted: true})
		t.fatal = true
	case t.keyless.serverAfterClient == 0 && s.end == reassembly.EndRST:
	default:
		t.established = true
	}
}

func (t *Tracker) outcome() Outcome {
	switch {
	case len(t.res.Violations) > 0:
		return OutcomeViolation
	case t.fatal:
		return OutcomeAlert
	case t.established:
		return OutcomeEstablished
	case t.partial:
		return OutcomePartial
	case t.gap:
		return OutcomeGap
	case t.notTLS || (!t.tlsSeen && t.client().prelude != nil):
		// The client spoke, and not TLS.
		return OutcomeNotTLS
	}
	return OutcomeIncomplete
}

// reported says whether the connection belongs in the report: it carried
// TLS, or it went to a TLS port (report.md: "or was expected to").
func (t *Tracker) reported() bool {
	return t.tlsSeen || t.col.tlsPort(t.res.Server.Port())
}

// phase is how far a side's bytes are read.
type phase uint8

const (
	// phaseWaiting: no TLS yet. A client may be in a plaintext prelude; a
	// server's bytes before the client's TLS are its part of one.
	phaseWaiting phase = iota
	// phaseReading: records are decoded.
	phaseReading
	// phaseLost: records are decoded again from a boundary found after a
	// gap, where bytes that do not decode are the capture's fault.
	phaseLost
	// phaseStopped: not read any more, after a decode error, a violation,
	// or too many bytes without a record.
	phaseStopped
)

func (d *sideState) stopped() bool { return d.phase == phaseStopped }

// keyless13 is what the keyless TLS 1.3 rule counts of the server's
// records after the client's first encrypted one.
type keyless13 struct {
	serverAfterClient   int
	lastServerRecordLen int
}
