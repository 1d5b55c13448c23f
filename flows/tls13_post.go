package flows

import (
	"bytes"
	"crypto/hmac"
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/tlscrypto"
)

// TLS 1.3 past the handshake, with keys and Options.Follow: each side's
// records go on being decrypted to the end, and what a side sends after
// its Finished (RFC 8446, 4.6) is checked against post13 rather than its
// flight: tickets, KeyUpdate, whose next secret the side's later records
// are decrypted with (7.2), and post-handshake client authentication, the
// client's Finished verified over the handshake's transcript and its own
// messages (4.4.1, 4.4.4). Closing alerts are reported with their names.

// kindKeyUpdate is the kind of a KeyUpdate (RFC 8446, 4.6.3).
const kindKeyUpdate = 1 + kind(decode.HandshakeKeyUpdate)

// maxPendingAuth bounds the post-handshake CertificateRequests a server
// may have outstanding that the tracker keeps a transcript for; past it
// the oldest is forgotten, and the client's answer to it is judged as
// answering none. Real servers have one at a time.
const maxPendingAuth = 8

// maxFollowed bounds what a followed connection adds to its ladder and
// its alerts after its verdict, so a peer cannot make a result grow
// without end; what comes past it is still checked.
const maxFollowed = 256

// postRow is a message a side may send after its Finished, in any order
// and number, when ok says so (nil: always).
type postRow struct {
	role Role
	kind kind
	ok   func(*Tracker) bool
	when string // when ok allows it, for a violation's detail
	rfc  string
}

// post13 lists what each side may send after its Finished (RFC 8446,
// 4.6): the server's tickets and CertificateRequests, either side's
// KeyUpdate, and the client's answer to a CertificateRequest, whose
// Certificate, CertificateVerify (when the Certificate is not empty) and
// Finished come in this order (4.4).
var post13 = []postRow{
	{role: Server, kind: kindNewSessionTicket, ok: ticketAfterOK, when: "after the client's Finished", rfc: "RFC 8446, 4.6.1"},
	{role: Server, kind: kindKeyUpdate, rfc: "RFC 8446, 4.6.3"},
	{role: Server, kind: kindCertificateRequest, ok: authRequestOK, when: "after the client's Finished, to a client that offered post_handshake_auth", rfc: "RFC 8446, 4.6.2"},
	{role: Client, kind: kindKeyUpdate, ok: notAnswering, when: "outside its answer to a CertificateRequest", rfc: "RFC 8446, 4.6.3"},
	{role: Client, kind: kindCertificate, ok: authCertificateOK, when: "in answer to the server's post-handshake CertificateRequest", rfc: "RFC 8446, 4.6.2"},
	{role: Client, kind: kindCertificateVerify, ok: authVerifyOK, when: "after its non-empty post-handshake Certificate", rfc: "RFC 8446, 4.4.3"},
	{role: Client, kind: kindFinished, ok: authFinishedOK, when: "after its post-handshake Certificate and CertificateVerify", rfc: "RFC 8446, 4.4.4"},
}

// authRequestOK: "A client that receives a CertificateRequest message
// without having sent the "post_handshake_auth" extension MUST send an
// unexpected_message fatal alert" (RFC 8446, 4.6.2); and the request
// comes once the handshake is complete.
func authRequestOK(t *Tracker) bool {
	return t.res.ClientHello != nil && t.res.ClientHello.PostHandshakeAuth && t.keys.sides[0].finished
}

func notAnswering(t *Tracker) bool { return t.keys.post.answer == nil }

func authCertificateOK(t *Tracker) bool { return notAnswering(t) && len(t.keys.post.pending) > 0 }

func authVerifyOK(t *Tracker) bool {
	a := t.keys.post.answer
	return a != nil && a.certificate && a.last == kindCertificate
}

func authFinishedOK(t *Tracker) bool {
	a := t.keys.post.answer
	return a != nil && (a.last == kindCertificateVerify || !a.certificate)
}

// postAuth is the state of post-handshake client authentication.
type postAuth struct {
	pending []*authExchange // CertificateRequests not yet answered, oldest first
	answer  *authExchange   // the one the client is answering
}

// authExchange is one post-handshake authentication: its
// certificate_request_context and its transcript, the handshake's
// followed by its own messages (RFC 8446, 4.4.1).
type authExchange struct {
	context     []byte
	transcript  *tlscrypto.Transcript
	last        kind // the client's last message of its answer
	certificate bool // the client's Certificate is not empty
}

// following13 says whether an established connection is read on: with
// Options.Follow and the keys of a TLS 1.3 connection.
func (t *Tracker) following13() bool {
	return t.col.follow && t.keys.decrypting13() && t.judging()
}

// postStep checks a message d sent after its Finished against post13,
// as step does a flight's; it reports whether the message was legal.
func (t *Tracker) postStep(d *sideState, got kind, ts time.Time) bool {
	var expected []string
	var row *postRow
	for i := range post13 {
		r := &post13[i]
		if r.role != d.role {
			continue
		}
		ok := r.ok == nil || r.ok(t)
		if ok {
			expected = append(expected, r.kind.String())
		}
		if r.kind == got {
			if ok {
				return true
			}
			row = r
		}
	}
	code := CodeUnexpectedMessage
	if got == kindChangeCipherSpec {
		code = CodeUnexpectedChangeCipherSpec
	}
	detail := fmt.Sprintf("%s sent %s after its Finished (RFC 8446, 4.6)", d.role, got)
	switch a := t.keys.post.answer; {
	case got == kindFinished && a != nil && a.certificate && a.last == kindCertificate:
		t.violate(d, CodeMissingMessage, got.String(), []string{kindCertificateVerify.String()},
			"client sent finished without certificate_verify after its non-empty post-handshake certificate (RFC 8446, 4.4.3)", ts)
		return false
	case row != nil:
		detail = fmt.Sprintf("%s sent %s after the handshake, which it may send only %s (%s)", d.role, got, row.when, row.rfc)
	}
	t.violate(d, code, got.String(), expected, detail, ts)
	return false
}

// postHandshake acts on a legal message d sent after its Finished, raw
// its bytes with the header: a KeyUpdate moves d to its next traffic
// secret; a CertificateRequest opens an authentication exchange, which
// the client's Certificate, CertificateVerify and Finished carry on, the
// Finished verified with the client's current application traffic secret
// (RFC 8446, 4.4 and 4.4.4).
func (t *Tracker) postHandshake(d *sideState, ks *keySide, m decode.Message, raw []byte, ts time.Time) {
	k := t.keys
	p := &k.post
	switch m := m.(type) {
	case *decode.KeyUpdate:
		// application_traffic_secret_N+1 (RFC 8446, 7.2), from the next
		// record on.
		ks.appSecret = tlscrypto.NextTrafficSecret(k.suite.Hash, ks.appSecret)
		ks.dec, _ = tlscrypto.NewTLS13Decrypter(k.suite, ks.appSecret)
	case *decode.CertificateRequest:
		tr, err := k.transcript.Clone()
		if err != nil {
			return // not for the SHA-256 and SHA-384 of TLS 1.3's suites
		}
		tr.Write(raw)
		if len(p.pending) == maxPendingAuth {
			p.pending = p.pending[1:]
		}
		p.pending = append(p.pending, &authExchange{context: m.Context, transcript: tr})
	case *decode.Certificate:
		i := 0
		for i < len(p.pending) && !bytes.Equal(p.pending[i].context, m.Context) {
			i++
		}
		if i == len(p.pending) {
			t.violate(d, CodeUnexpectedMessage, kindCertificate.String(), nil,
				"client's post-handshake certificate has a certificate_request_context no outstanding CertificateRequest has (RFC 8446, 4.4.2)", ts)
			return
		}
		a := p.pending[i]
		p.pending = append(p.pending[:i], p.pending[i+1:]...)
		a.transcript.Write(raw)
		a.last, a.certificate = kindCertificate, len(m.Certificates) > 0
		p.answer = a
	case *decode.CertificateVerify:
		p.answer.transcript.Write(raw)
		p.answer.last = kindCertificateVerify
	case *decode.Finished:
		want := tlscrypto.FinishedVerifyData13(k.suite.Hash, ks.appSecret, p.answer.transcript.Sum())
		p.answer = nil
		if !hmac.Equal(want, raw[4:]) {
			t.violate(d, CodeBadFinished, kindFinished.String(), nil,
				"client's post-handshake Finished verify_data does not match the transcript (RFC 8446, 4.4.4)", ts)
		}
	}
}

// followedFull says the result holds all it may take after its verdict
// (maxFollowed).
func (t *Tracker) followedFull() bool { return t.decided() && t.followed >= maxFollowed }
