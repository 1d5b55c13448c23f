package flows

import "github.com/hsdecode/hsdecode/decode"

// The order tables. Each side walks a flight: a list of slots in the order
// the RFCs require. A message fills the first slot of its kind after the
// side's position; the slots it jumps over must all be skippable. Which
// slots are required depends on what was negotiated, so need is a function
// of the tracker. Rules that look at the other side ("before the peer's
// first X") are in after.

// need says whether a slot's message must, may or must not be sent.
type need uint8

const (
	// optional slots may be skipped.
	optional need = iota
	// required slots belong to every handshake of this kind; skipping one
	// is unexpected_message.
	required
	// requiredByRule slots are required by what was negotiated (cipher
	// suite, CertificateRequest, a client certificate); skipping one is
	// missing_message.
	requiredByRule
	// forbidden slots must not be filled in this handshake.
	forbidden
)

// slot is one place in a flight.
type slot struct {
	kind kind
	need func(*Tracker) need
	// after is the peer's slot kind that must have been seen first,
	// kindNone for none; afterOK overrides it when set.
	after   kind
	afterOK func(*Tracker) bool
	// repeat lets the slot take any number of messages (opaque TLS 1.3
	// records).
	repeat bool
	rfc    string
}

// Helpers that give a slot a fixed need.
func fixed(n need) func(*Tracker) need { return func(*Tracker) need { return n } }

var isRequired = fixed(required)

// serverHello is the server's flight before its ServerHello tells the
// version; it also admits a TLS 1.3 HelloRetryRequest (RFC 8446, 4.1.4),
// and over DTLS a HelloVerifyRequest (RFC 6347, 4.2.1).
var serverHello = []slot{
	{kind: kindHelloVerifyRequest, need: needHVR, rfc: "RFC 6347, 4.2.1"},
	{kind: kindHelloRetryRequest, need: needHRR, rfc: "RFC 8446, 4.1.4"},
	{kind: kindChangeCipherSpec, need: needServerCompatCCS, rfc: "RFC 8446, D.4"},
	{kind: kindServerHello, need: isRequired, afterOK: serverHelloAfterOK, rfc: "RFC 5246, 7.4.1.3; RFC 8446, 4.1.3"},
}

// clientHello is the client's flight before it learns the version: the
// ClientHello, and in TLS 1.3 a compatibility CCS and the second ClientHello
// answering a HelloRetryRequest, or over DTLS a HelloVerifyRequest.
var clientHello = []slot{
	{kind: kindClientHello, need: isRequired, rfc: "RFC 5246, 7.4.1.2; RFC 8446, 4.1.2"},
	{kind: kindChangeCipherSpec, need: needClientCompatCCS, rfc: "RFC 8446, D.4"},
	{kind: kindClientHello, need: needSecondClientHello, afterOK: secondHelloAfterOK, rfc: "RFC 8446, 4.1.4; RFC 6347, 4.2.1"},
}

// serverFull12 is the server's side of a full TLS 1.0-1.2 or SSL 3.0
// handshake (RFC 5246, 7.3; RFC 6101, 5.5).
var serverFull12 = []slot{
	{kind: kindServerHello, need: isRequired, rfc: "RFC 5246, 7.4.1.3"},
	{kind: kindCertificate, need: needServerCertificate, rfc: "RFC 5246, 7.4.2"},
	{kind: kindCertificateStatus, need: needCertificateStatus, rfc: "RFC 6066, 8"},
	{kind: kindServerKeyExchange, need: needServerKeyExchange, rfc: "RFC 5246, 7.4.3"},
	{kind: kindCertificateRequest, need: needCertificateRequest, rfc: "RFC 5246, 7.4.4"},
	{kind: kindServerHelloDone, need: isRequired, rfc: "RFC 5246, 7.4.5"},
	{kind: kindNewSessionTicket, need: needNewSessionTicket, after: kindFinished, rfc: "RFC 5077, 3.3"},
	{kind: kindChangeCipherSpec, need: isRequired, after: kindFinished, rfc: "RFC 5246, 7.1"},
	{kind: kindFinished, need: isRequired, rfc: "RFC 5246, 7.4.9"},
}

// clientFull12 is the client's side of a full TLS 1.0-1.2 or SSL 3.0
// handshake (RFC 5246, 7.3).
var clientFull12 = []slot{
	{kind: kindClientHello, need: isRequired, rfc: "RFC 5246, 7.4.1.2"},
	{kind: kindCertificate, need: needClientCertificate, after: kindServerHelloDone, rfc: "RFC 5246, 7.4.6"},
	{kind: kindClientKeyExchange, need: isRequired, after: kindServerHelloDone, rfc: "RFC 5246, 7.4.7"},
	{kind: kindCertificateVerify, need: needCertificateVerify, rfc: "RFC 5246, 7.4.8"},
	{kind: kindChangeCipherSpec, need: isRequired, rfc: "RFC 5246, 7.1"},
	{kind: kindFinished, need: isRequired, rfc: "RFC 5246, 7.4.9"},
}

// serverAbbreviated12 and clientAbbreviated12 are a resumed TLS 1.0-1.2
// handshake (RFC 5246, 7.3 figure 2; RFC 5077, 3.1).
var serverAbbreviated12 = []slot{
	{kind: kindServerHello, need: isRequired, rfc: "RFC 5246, 7.4.1.3"},
	{kind: kindNewSessionTicket, need: needNewSessionTicket, rfc: "RFC 5077, 3.1"},
	{kind: kindChangeCipherSpec, need: isRequired, rfc: "RFC 5246, 7.3"},
	{kind: kindFinished, need: isRequired, rfc: "RFC 5246, 7.4.9"},
}

var clientAbbreviated12 = []slot{
	{kind: kindClientHello, need: isRequired, rfc: "RFC 5246, 7.4.1.2"},
	{kind: kindChangeCipherSpec, need: isRequired, after: kindFinished, rfc: "RFC 5246, 7.3"},
	{kind: kindFinished, need: isRequired, rfc: "RFC 5246, 7.4.9"},
}

// server13 and client13 are TLS 1.3 after ServerHello as a passive observer
// sees it: at most one compatibility CCS, then opaque records (RFC 8446, 2
// and D.4). The client's first opaque record follows the ServerHello.
var server13 = []slot{
	{kind: kindServerHello, need: isRequired, rfc: "RFC 8446, 4.1.3"},
	{kind: kindChangeCipherSpec, need: needServerCompatCCS, rfc: "RFC 8446, D.4"},
	{kind: kindEncrypted, need: isRequired, repeat: true, rfc: "RFC 8446, 2"},
}

var client13 = []slot{
	{kind: kindClientHello, need: isRequired, rfc: "RFC 8446, 4.1.2"},
	{kind: kindChangeCipherSpec, need: needClientCompatCCS, rfc: "RFC 8446, D.4"},
	{kind: kindEncrypted, need: isRequired, repeat: true, after: kindServerHello, rfc: "RFC 8446, 2"},
}

// server13Keys and client13Keys are TLS 1.3 after ServerHello read with
// keys (RFC 8446, 2 figure 1 and 4): the server's EncryptedExtensions,
// CertificateRequest, Certificate and CertificateVerify unless a PSK
// authenticates it, Finished; the client's EndOfEarlyData when the server
// accepted its 0-RTT, its Certificate when asked for one (maybe empty) and
// CertificateVerify when that Certificate is not empty, after the server's
// Finished, then its Finished. They begin as server13 and client13 do, so
// a side's position carries over when keys are found. What a side sends
// after its Finished follows post13 (tls13_post.go).
// A server may send its Certificate compressed when the client offered
// compress_certificate: one of the two slots is filled (RFC 8879, 4).
// kindCompressedCertificate is RFC 8879's CompressedCertificate, which
// takes the place of a TLS 1.3 Certificate.
const kindCompressedCertificate = 1 + kind(decode.HandshakeType(25))

var server13Keys = []slot{
	{kind: kindServerHello, need: isRequired, rfc: "RFC 8446, 4.1.3"},
	{kind: kindChangeCipherSpec, need: needServerCompatCCS, rfc: "RFC 8446, D.4"},
	{kind: handshakeKind(decode.HandshakeEncryptedExtensions), need: isRequired, rfc: "RFC 8446, 4.3.1"},
	{kind: kindCertificateRequest, need: needCertificateRequest13, rfc: "RFC 8446, 4.3.2"},
	{kind: kindCertificate, need: needServerCertificate13, rfc: "RFC 8446, 4.4.2"},
	{kind: kindCompressedCertificate, need: needCompressedCertificate, rfc: "RFC 8879, 4"},
	{kind: kindCertificateVerify, need: needServerAuth13, rfc: "RFC 8446, 4.4.3"},
	{kind: kindFinished, need: isRequired, rfc: "RFC 8446, 4.4.4"},
}

// ticketAfterOK: a NewSessionTicket follows the client's Finished, or, from
// a server that asked for no certificate, may come right after its own
// Finished, the rest of the transcript computed ahead (RFC 8446, 4.6.1,
// as crypto/tls does).
func ticketAfterOK(t *Tracker) bool {
	return !t.certRequested || t.client().seen.count(kindFinished) > 0
}

var client13Keys = []slot{
	{kind: kindClientHello, need: isRequired, rfc: "RFC 8446, 4.1.2"},
	{kind: kindChangeCipherSpec, need: needClientCompatCCS, rfc: "RFC 8446, D.4"},
	{kind: handshakeKind(decode.HandshakeEndOfEarlyData), need: needEndOfEarlyData, after: kindFinished, rfc: "RFC 8446, 4.5"},
	{kind: kindCertificate, need: needClientCertificate13, after: kindFinished, rfc: "RFC 8446, 4.4.2"},
	{kind: kindCertificateVerify, need: needCertificateVerify, rfc: "RFC 8446, 4.4.3"},
	{kind: kindFinished, need: isRequired, after: kindFinished, rfc: "RFC 8446, 4.4.4"},
}
