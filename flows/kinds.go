package flows

import "github.com/hsdecode/hsdecode/decode"

// kind names what a side sent, as the order tables and the ladder know it.
// The tables are keyed on it rather than on display strings, so that a
// renamed registry entry can change how a message is printed but never a
// verdict.
//
// A handshake message's kind is one past its msg_type (RFC 8446, 4), so
// that every type the decoder hands over, registered or not, has one, a
// table row for a message decrypted later needs no mapping, and the zero
// kind can mean none. The kinds that are not a msg_type (records of other
// content types, and the HelloRetryRequest, which is a ServerHello on the
// wire, RFC 8446, 4.1.3) lie above that range.
type kind uint16

// kindNone is no kind: a slot without a rule on the peer.
const kindNone kind = 0

// firstRecordKind is the first kind that is not a handshake msg_type.
const firstRecordKind = 257

// handshakeKind is the kind of a handshake message of type t.
func handshakeKind(t decode.HandshakeType) kind { return 1 + kind(t) }

// Handshake message kinds the order tables name.
const (
	kindClientHello        = 1 + kind(decode.HandshakeClientHello)
	kindServerHello        = 1 + kind(decode.HandshakeServerHello)
	kindNewSessionTicket   = 1 + kind(decode.HandshakeNewSessionTicket)
	kindCertificate        = 1 + kind(decode.HandshakeCertificate)
	kindServerKeyExchange  = 1 + kind(decode.HandshakeServerKeyExchange)
	kindCertificateRequest = 1 + kind(decode.HandshakeCertificateRequest)
	kindServerHelloDone    = 1 + kind(decode.HandshakeServerHelloDone)
	kindCertificateVerify  = 1 + kind(decode.HandshakeCertificateVerify)
	kindClientKeyExchange  = 1 + kind(decode.HandshakeClientKeyExchange)
	kindCertificateStatus  = 1 + kind(decode.HandshakeCertificateStatus)
	// kindHelloVerifyRequest is DTLS's (RFC 6347, 4.2.1).
	kindHelloVerifyRequest = 1 + kind(decode.HandshakeHelloVerifyRequest)
	// kindFinished is also the encrypted handshake record a TLS <= 1.2
	// side sends after its ChangeCipherSpec, which is its Finished (RFC
	// 5246, 7.1): one slot takes either.
	kindFinished = 1 + kind(decode.HandshakeFinished)
)

// Kinds that are not a handshake msg_type. Their names are the message
// types of docs/report.md that are not handshake types.
const (
	kindChangeCipherSpec  kind = firstRecordKind + iota // change_cipher_spec
	kindHelloRetryRequest                               // hello_retry_request
	kindEncrypted                                       // encrypted: an opaque TLS 1.3 record
	kindAlert                                           // alert
	kindHeartbeat                                       // heartbeat
	kindApplicationData                                 // application_data
)

var recordKindNames = [...]string{
	kindChangeCipherSpec - firstRecordKind:  TypeChangeCipherSpec,
	kindHelloRetryRequest - firstRecordKind: TypeHelloRetry,
	kindEncrypted - firstRecordKind:         TypeEncrypted,
	kindAlert - firstRecordKind:             TypeAlert,
	kindHeartbeat - firstRecordKind:         TypeHeartbeat,
	kindApplicationData - firstRecordKind:   TypeApplicationData,
}

// String gives the snake_case name reports print (docs/report.md,
// messages[].type): a handshake message's IANA name, as decode spells it.
func (k kind) String() string {
	if k < firstRecordKind {
		return decode.HandshakeType(k - 1).String()
	}
	return recordKindNames[k-firstRecordKind]
}

// messageKind is the kind of a decoded handshake message.
func messageKind(m decode.Message) kind {
	if sh, ok := m.(*decode.ServerHello); ok && sh.HelloRetryRequest {
		return kindHelloRetryRequest
	}
	return handshakeKind(m.Type())
}

// names spells a list of kinds for a violation's expected list.
func names(ks []kind) []string {
	if ks == nil {
		return nil
	}
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return out
}
