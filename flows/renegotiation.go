package flows

import (
	"bytes"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/keylog"
	"github.com/hsdecode/hsdecode/tlscrypto"
)

// TLS 1.0-1.2 after the handshake, followed (Options.Follow) to the end of
// the connection: alerts by name, data counted, and renegotiation (RFC
// 5246, 7.4.1.1 and 7.4.1.2), a second handshake under the first one's
// keys, walked through the same flights and bound to the first by
// renegotiation_info (RFC 5746, 3). Reading protected records (keys, or a
// NULL suite in clear) is tls12_keys.go's.

// tls12State is a TLS 1.0-1.2 connection's reading past ChangeCipherSpec.
// Arrays are indexed by roleIndex.
type tls12State struct {
	// protected says a side sent its ChangeCipherSpec: its records are
	// protected from then on.
	protected [2]bool
	// nullMAC is, for a side whose protected records are a NULL suite's
	// read without keys, the length of the MAC after each plaintext; 0
	// when they cannot be read so. pendingNull is the negotiated suite's,
	// taken at the side's next ChangeCipherSpec.
	nullMAC     [2]int
	pendingNull int
	// verifyData is each side's verify_data of the last handshake, read
	// or decrypted, which a renegotiation's hellos must echo.
	verifyData [2][]byte
	// secure says the first handshake negotiated secure renegotiation
	// (RFC 5746, 3.4 and 3.6).
	secure bool
	hs     [2][]byte // a side's handshake message not yet whole
	reneg  *reneg    // the renegotiation under way, nil when none
}

// reneg is a renegotiation under way: the first handshake's report, set
// aside while the second one's hellos drive the flights, and the keys
// each side takes at its ChangeCipherSpec.
type reneg struct {
	keyless bool // seen only as opaque records
	ccs     [2]bool
	done    [2]bool // keyless: the side's Finished after its CCS
	next    [2]*tlscrypto.Decrypter

	first struct {
		ch          *decode.ClientHello
		sh          *decode.ServerHello
		serverName  string
		version     decode.Version
		suite       decode.CipherSuite
		hasSuite    bool
		alpn        string
		resumed     bool
		clientCert  string
		mode        mode
		certRequest bool
	}
}

func roleIndex(r Role) int {
	if r == Client {
		return 0
	}
	return 1
}

// serverHello12 notes what a TLS 1.0-1.2 ServerHello means past the
// ChangeCipherSpecs: whether a NULL suite is read in clear, whether
// secure renegotiation was negotiated, and in a renegotiation its binding
// and keys.
func (t *Tracker) serverHello12(d *sideState, sh *decode.ServerHello, ts time.Time) {
	null := tlscrypto.NullMACLen(uint16(sh.CipherSuite))
	if t.t12 == nil {
		if null == 0 && t.keys == nil && !t.col.follow {
			return // nothing past ChangeCipherSpec will be read
		}
		t.t12 = new(tls12State)
	}
	s12 := t.t12
	// NULL encryption: what follows ChangeCipherSpec is the plaintext and
	// its MAC (RFC 5246, 6.2.3.1).
	if s12.pendingNull = null; null > 0 {
		t.keepProtected()
	}
	r := s12.reneg
	if r == nil {
		ch := t.res.ClientHello
		s12.secure = ch != nil && (ch.RenegotiationInfo || offersSCSV(ch)) && sh.RenegotiationInfo
		return
	}
	if s12.secure && s12.verifyData[0] != nil && s12.verifyData[1] != nil && t.judging() && len(t.res.Violations) == 0 {
		want := append(append([]byte{}, s12.verifyData[0]...), s12.verifyData[1]...)
		switch {
		case !sh.RenegotiationInfo:
			t.violate(d, CodeBadRenegotiationInfo, kindServerHello.String(), nil,
				"server's renegotiating ServerHello has no renegotiation_info, though the first handshake negotiated secure renegotiation (RFC 5746, 3.7)", ts)
		case !bytes.Equal(sh.RenegotiatedConnection, want):
			t.violate(d, CodeBadRenegotiationInfo, kindServerHello.String(), nil,
				"server's renegotiation_info is not client_verify_data followed by server_verify_data of the previous handshake (RFC 5746, 3.7)", ts)
		}
	}
	t.renegKeys(sh)
}

// offersSCSV says whether a ClientHello carries
// TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746, 3.3).
func offersSCSV(ch *decode.ClientHello) bool {
	for _, c := range ch.CipherSuites {
		if c == 0x00FF {
			return true
		}
	}
	return false
}

// renegKeys makes the keys of a renegotiation from the master secret the
// key log holds for its ClientHello's random; without one its Finished
// stay opaque.
func (t *Tracker) renegKeys(sh *decode.ServerHello) {
	k, r := t.keys, t.t12.reneg
	if !k.decrypting12() || t.res.ClientHello == nil {
		return
	}
	k.master = nil
	v := uint16(sh.Version())
	s, err := tlscrypto.LookupSuite(uint16(sh.CipherSuite))
	if err != nil || s.TLS13 || k.transcript.SetHash(tlscrypto.FinishedHash(v, s)) != nil {
		return
	}
	sec, ok := t.col.keys.Lookup(t.res.ClientHello.Random)
	master := sec.Secret(keylog.LabelClientRandom)
	if !ok || master == nil {
		return
	}
	ck, sk, err := tlscrypto.KeyBlock(v, s, master, t.res.ClientHello.Random[:], sh.Random[:])
	if err != nil {
		return
	}
	etm := t.res.ClientHello.EncryptThenMAC && sh.EncryptThenMAC
	cd, err1 := tlscrypto.NewDecrypter(v, s, ck, etm)
	sd, err2 := tlscrypto.NewDecrypter(v, s, sk, etm)
	if err1 != nil || err2 != nil {
		return
	}
	r.next = [2]*tlscrypto.Decrypter{cd, sd}
	k.suite, k.master, k.version = s, master, v
}

// after12 takes an event of an established TLS 1.0-1.2 connection.
// Without Options.Follow only alerts are news; with it, every record to
// the end: data counted, and a renegotiation decoded when the records can
// be read, counted when they cannot.
func (t *Tracker) after12(d *sideState, ev decode.Event, ts time.Time) {
	if d.stopped() {
		return
	}
	if t.t12 == nil {
		// Nothing past ChangeCipherSpec is read: alerts are the news.
		if ev.Kind == decode.EventAlert || ev.Kind == decode.EventEncryptedAlert {
			t.alert(d, ev, ts)
		}
		return
	}
	// After a gap nothing is judged, nor read from a boundary that may be
	// a false one.
	readable := t.readable12(d) && t.judging()
	switch ev.Kind {
	case decode.EventAlert:
		t.alert(d, ev, ts)
		return
	case decode.EventEncryptedAlert:
		if readable {
			t.alert12(d, ev, ts)
			return
		}
		t.alert(d, ev, ts)
		return
	}
	if !t.col.follow || !t.judging() {
		return
	}
	switch ev.Kind {
	case decode.EventApplicationData:
		if readable {
			t.data12(d, ev, ts)
			return
		}
		t.countData(d)
	case decode.EventChangeCipherSpec:
		if !readable && t.t12.reneg == nil {
			return // opaque, with no handshake seen before it: nothing to judge
		}
		n := len(t.res.Messages)
		if readable {
			if _, ok := t.read12(d, decode.ContentChangeCipherSpec, ev, ts); !ok {
				return
			}
		}
		t.renegCCS(d, ts)
		t.markRead12(n)
	case decode.EventEncryptedHandshake:
		r := t.t12.reneg
		switch {
		case readable:
			if pt, ok := t.read12(d, decode.ContentHandshake, ev, ts); ok {
				t.handshake12(d, pt, ts)
			}
		case r != nil && !r.keyless && r.ccs[roleIndex(d.role)]:
			// The renegotiation's Finished, under keys the key log does
			// not have.
			t.record(d, kindFinished, ev.Length, true, ts)
			if t.step(d, kindFinished, ts) {
				t.sideFinished12(d)
			}
		default:
			t.renegKeyless(d)
		}
	}
}

// renegKeyless counts a renegotiation seen only as opaque handshake
// records after the handshake: it begins with the first such record and
// ends once each side sent one after its ChangeCipherSpec, its Finished.
func (t *Tracker) renegKeyless(d *sideState) {
	r := t.t12.reneg
	if r == nil {
		r = &reneg{keyless: true}
		t.t12.reneg = r
		t.res.Renegotiations++
	}
	i := roleIndex(d.role)
	if r.ccs[i] {
		r.done[i] = true
	}
	if r.done[0] && r.done[1] {
		t.t12.reneg = nil
	}
}

// renegCCS takes a ChangeCipherSpec after the handshake: within a
// renegotiation, the side's switch to the new keys.
func (t *Tracker) renegCCS(d *sideState, ts time.Time) {
	r := t.t12.reneg
	i := roleIndex(d.role)
	switch {
	case r == nil:
		t.record(d, kindChangeCipherSpec, 0, false, ts)
		t.violate(d, CodeUnexpectedChangeCipherSpec, kindChangeCipherSpec.String(), nil,
			fmt.Sprintf("%s sent change_cipher_spec after the handshake, outside a renegotiation (RFC 5246, 7.1)", d.role), ts)
		return
	case r.keyless:
		r.ccs[i] = true
		return
	}
	nv := len(t.res.Violations)
	t.changeCipherSpec(d, ts)
	if len(t.res.Violations) > nv {
		return
	}
	r.ccs[i] = true
	t.t12.nullMAC[i] = t.t12.pendingNull
	if k := t.keys; k.decrypting12() {
		k.sides[i].dec = r.next[i]
	}
}

// handshake12 joins the handshake bytes read from d's protected records
// into messages (RFC 5246, 6.2.1: a message may span records) and takes
// each: a HelloRequest, a renegotiating ClientHello and what follows it.
func (t *Tracker) handshake12(d *sideState, pt []byte, ts time.Time) {
	i := roleIndex(d.role)
	b := pt
	if len(t.t12.hs[i]) > 0 {
		t.t12.hs[i] = append(t.t12.hs[i], pt...)
		b = t.t12.hs[i]
	}
	for len(b) >= 4 && !d.stopped() {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if n > maxHandshake13 {
			t.violate(d, CodeMalformedHandshake, "handshake", nil, fmt.Sprintf("%s length %d exceeds %d", decode.HandshakeType(b[0]), n, maxHandshake13), ts)
			break
		}
		if len(b) < 4+n {
			break
		}
		t.message12(d, b[:4+n], ts)
		b = b[4+n:]
	}
	if d.stopped() {
		t.t12.hs[i] = nil
		return
	}
	t.t12.hs[i] = append(t.t12.hs[i][:0:0], b...)
}

// message12 takes one whole handshake message read after the handshake.
func (t *Tracker) message12(d *sideState, raw []byte, ts time.Time) {
	typ := decode.HandshakeType(raw[0])
	if typ == decode.HandshakeFinished {
		t.finishedMessage12(d, raw, ts)
		return
	}
	m, err := decode.ParseHandshake(typ, raw[4:])
	if err != nil {
		t.violate(d, CodeMalformedHandshake, handshakeKind(typ).String(), nil, err.Error(), ts)
		return
	}
	r := t.t12.reneg
	if ch, ok := m.(*decode.ClientHello); ok && d.role == Client && r == nil {
		// A new ClientHello under the first handshake's keys begins a
		// renegotiation (RFC 5246, 7.4.1.2).
		t.renegBinding(d, ch, ts)
		t.startReneg()
	} else if r == nil && typ != decode.HandshakeHelloRequest {
		n := len(t.res.Messages)
		t.record(d, handshakeKind(typ), len(raw)-4, false, ts)
		t.markRead12(n)
		t.violate(d, CodeUnexpectedMessage, handshakeKind(typ).String(), nil,
			fmt.Sprintf("%s sent %s after the handshake, outside a renegotiation (RFC 5246, 7.4)", d.role, handshakeKind(typ)), ts)
		return
	}
	n := len(t.res.Messages)
	t.handshake(d, decode.Event{Kind: decode.EventHandshake, Length: len(raw) - 4, Message: m, Raw: raw}, ts)
	t.markRead12(n)
}

// renegBinding checks a renegotiating ClientHello against the first
// handshake: after secure renegotiation was negotiated, renegotiation_info
// must hold the client's verify_data, and the SCSV must not be offered
// (RFC 5746, 3.5 and 3.7).
func (t *Tracker) renegBinding(d *sideState, ch *decode.ClientHello, ts time.Time) {
	s12 := t.t12
	if !s12.secure || s12.verifyData[0] == nil || !t.judging() || len(t.res.Violations) > 0 {
		return
	}
	var detail string
	switch {
	case !ch.RenegotiationInfo:
		detail = "client's renegotiating ClientHello has no renegotiation_info, though the first handshake negotiated secure renegotiation (RFC 5746, 3.5)"
	case !bytes.Equal(ch.RenegotiatedConnection, s12.verifyData[0]):
		detail = "client's renegotiation_info is not its verify_data of the previous handshake (RFC 5746, 3.5 and 3.7)"
	case offersSCSV(ch):
		detail = "client's renegotiating ClientHello offers TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746, 3.5)"
	default:
		return
	}
	t.violate(d, CodeBadRenegotiationInfo, kindClientHello.String(), nil, detail, ts)
}

// startReneg sets the first handshake's report aside and starts both
// sides on their hello flights again, with a new transcript.
func (t *Tracker) startReneg() {
	r := &reneg{}
	f := &r.first
	res := &t.res
	f.ch, f.sh, f.serverName, f.version = res.ClientHello, res.ServerHello, res.ServerName, res.Version
	f.suite, f.hasSuite, f.alpn, f.resumed = res.CipherSuite, res.HasCipherSuite, res.ALPN, res.Resumed
	f.clientCert, f.mode, f.certRequest = res.ClientCertificate, t.mode, t.certRequested
	res.ClientHello, res.ServerHello = nil, nil
	t.t12.reneg = r
	res.Renegotiations++
	t.mode, t.hrr, t.hvr, t.certRequested, t.noCertificateAlert = modeHello, false, false, false, false
	for _, d := range []*sideState{t.client(), t.server()} {
		d.pos, d.seen, d.finished, d.ccs = -1, tally{}, false, 0
	}
	t.client().flight, t.server().flight = clientHello, serverHello
	if k := t.keys; k.decrypting12() {
		k.transcript = tlscrypto.Transcript{}
		k.sides[0].finished, k.sides[1].finished = false, false
	}
}

// endReneg puts the first handshake's report back once the renegotiation
// is over (or the connection ends in it): the report describes the
// handshake that established the connection.
func (t *Tracker) endReneg() {
	if t.t12 == nil || t.t12.reneg == nil || t.t12.reneg.keyless {
		return
	}
	f := &t.t12.reneg.first
	res := &t.res
	res.ClientHello, res.ServerHello, res.ServerName, res.Version = f.ch, f.sh, f.serverName, f.version
	res.CipherSuite, res.HasCipherSuite, res.ALPN, res.Resumed = f.suite, f.hasSuite, f.alpn, f.resumed
	res.ClientCertificate, t.mode, t.certRequested = f.clientCert, f.mode, f.certRequest
	t.t12.reneg = nil
}
