package flows

import (
	"net/netip"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// Outcome is the one verdict a connection gets (docs/handshake-order.md section 6).
// Its values appear unchanged in every output format.
type Outcome string

// Outcomes, in the order of precedence Result.Outcome applies them.
const (
	OutcomeViolation   Outcome = "violation"
	OutcomeAlert       Outcome = "alert"
	OutcomeEstablished Outcome = "established"
	OutcomePartial     Outcome = "partial"
	OutcomeGap         Outcome = "gap"
	OutcomeIncomplete  Outcome = "incomplete"
	OutcomeNotTLS      Outcome = "not_tls"
)

// Code is a violation code (docs/handshake-order.md section 6).
type Code string

// Violation codes. The four codes for malformed bytes are decode's.
const (
	CodeUnexpectedMessage             Code = "unexpected_message"
	CodeMissingMessage                Code = "missing_message"
	CodeDuplicateMessage              Code = "duplicate_message"
	CodeUnexpectedChangeCipherSpec    Code = "unexpected_change_cipher_spec"
	CodeApplicationDataBeforeFinished Code = "application_data_before_finished"
	CodeMalformedRecord                    = Code(decode.CodeMalformedRecord)
	CodeMalformedHandshake                 = Code(decode.CodeMalformedHandshake)
	CodeRecordOverflow                     = Code(decode.CodeRecordOverflow)
	CodeVersionMismatch               Code = "version_mismatch"
	CodeBadFinished                   Code = "bad_finished"
	CodeBadRecordMAC                  Code = "bad_record_mac"
	CodeBadRenegotiationInfo          Code = "bad_renegotiation_info"
	CodeUnknownContentType                 = Code(decode.CodeUnknownContentType)
)

// Role is the part an endpoint plays: "client" or "server".
type Role string

// Roles.
const (
	Client Role = "client"
	Server Role = "server"
)

// Message types that are not handshake types (docs/report.md, messages[].type).
const (
	TypeChangeCipherSpec = "change_cipher_spec"
	TypeAlert            = "alert"
	TypeEncrypted        = "encrypted"
	TypeHeartbeat        = "heartbeat"
	TypeApplicationData  = "application_data"
	TypeHelloRetry       = "hello_retry_request"
)

// Message is one handshake message, ChangeCipherSpec, alert or opaque TLS
// 1.3 record, in wire order.
type Message struct {
	TS        time.Time
	From      Role
	Type      string // snake_case RFC name (docs/report.md)
	Length    int    // handshake body or record length; 0 for CCS and alerts
	Encrypted bool
	Decrypted bool // read with keys from a protected record
	EarlyData bool // sent in 0-RTT, before the client's handshake flight (RFC 8446, 2.3)
}

// Alert is one alert record. Level and Description are zero when Encrypted.
type Alert struct {
	TS          time.Time
	From        Role
	Level       decode.AlertLevel
	Description decode.AlertDescription
	Encrypted   bool
}

// Violation says what broke the order: who, what they sent, what the order
// allowed instead, and a stable code.
type Violation struct {
	TS       time.Time
	From     Role
	Code     Code
	Got      string
	Expected []string
	Detail   string
}

// Gap says where bytes went missing before the handshake was decided.
type Gap struct {
	TS      time.Time
	From    Role
	Offset  int64 // stream offset of the first missing byte
	Missing int   // bytes missing, -1 when unknown
}

// Client certificate states (docs/report.md, client_certificate).
const (
	ClientCertNone    = "none"
	ClientCertSent    = "sent"
	ClientCertEmpty   = "empty"
	ClientCertMissing = "missing"
)

// Result is everything flows concluded about one connection.
type Result struct {
	Seq            uint64 // order in which the connection began
	Start, End     time.Time
	Client, Server netip.AddrPort
	// Tunnels are the encapsulations the connection came in, outermost
	// first, as its first packet carried them, Src the client's side and
	// Dst the server's; nil when none.
	Tunnels []stream.Tunnel
	// Transport carries the handshake: TCP, QUIC or DTLS.
	Transport stream.Transport
	// QUIC is what a QUIC connection's packets say besides its handshake;
	// nil for TCP and DTLS.
	QUIC *QUIC
	// DTLS is what a DTLS connection's records say besides its
	// handshake; nil for TCP and QUIC.
	DTLS    *DTLS
	Outcome Outcome
	// Version and CipherSuite are zero when never negotiated.
	Version        decode.Version
	CipherSuite    decode.CipherSuite
	HasCipherSuite bool
	// StartTLS names the plaintext protocol the connection spoke before
	// its TLS (STARTTLS, a proxy's CONNECT); StartTLSNone when TLS began
	// at the first byte.
	StartTLS          StartTLS
	ServerName        string
	ALPN              string
	Resumed           bool
	EarlyData         string // EarlyDataAccepted or EarlyDataRejected; "" when not offered, or not known without keys
	ClientCertificate string // "" when unknown (TLS 1.3 sends it encrypted)
	// Keys is KeysFound, KeysMissing or KeysWrong when key material was
	// given (Options.Keys holds secrets), "" otherwise.
	Keys string
	// Renegotiations counts the handshakes begun after the first one's
	// Finished (TLS 1.0-1.2, Options.Follow): renegotiating ClientHellos
	// read with keys or in clear, runs of opaque handshake records
	// otherwise.
	Renegotiations uint32
	// ApplicationData counts each side's application data records after
	// the handshake (Options.Follow).
	ApplicationData RecordCount
	Messages        []Message
	Alerts          []Alert
	Violations      []Violation
	Gap             *Gap
	// ClientHello and ServerHello are the first of each, for details and
	// fingerprints; nil when not seen. HelloRetryRequest is the server's
	// HelloRetryRequest, nil when it sent none.
	ClientHello       *decode.ClientHello
	ServerHello       *decode.ServerHello
	HelloRetryRequest *decode.ServerHello
	// EncryptedExtensions is a TLS 1.3 server's, decrypted with keys;
	// nil when not seen.
	EncryptedExtensions *decode.EncryptedExtensions
	// ServerCertificates and ClientCertificates are the chains of each
	// side's first plaintext Certificate message, nil when none was seen
	// (TLS 1.3 sends them encrypted). They hold CertInfo summaries, not
	// the certificates' bytes.
	ServerCertificates *Chain
	ClientCertificates *Chain
	// The other messages that say something in clear, the first of each,
	// nil when not seen. ServerKeyExchange and ClientKeyExchange are read
	// with the layout of the negotiated suite; they stay nil when no
	// ServerHello named one.
	ServerKeyExchange  *decode.ServerKeyExchangeParams
	ClientKeyExchange  *decode.ClientKeyExchangeParams
	CertificateRequest *decode.CertificateRequest
	CertificateStatus  *decode.CertificateStatus
	NewSessionTicket   *decode.NewSessionTicket
	// Closed says how the connection ended: "fin", "rst", "capture_end",
	// "idle", "memory" or "reused".
	Closed string
	// OverlapMismatch counts, per side, the bytes of overlapping copies
	// that differed from the bytes kept (the receiver's), an evasion
	// tool; zero when none did.
	OverlapMismatch OverlapMismatch
	// ClientFirstBytes and ServerFirstBytes are the first bytes (at most
	// MaxFirstBytes) of a side that did not speak TLS: the client of a
	// not_tls connection, a server that answered a ClientHello with
	// something other than a record (a plain HTTP server on a TLS port);
	// nil otherwise.
	ClientFirstBytes, ServerFirstBytes []byte
	// Diagnosis says why a connection did not end established, or what a
	// finding on one that did means; nil when there is nothing to say.
	// flows leaves it nil: it is made from the result and what the run saw
	// of the other connections, which one tracker does not know.
	Diagnosis *Diagnosis
}

// Diagnosis is one sentence of cause, built only from what the capture
// shows, with the evidence it rests on and a hint of what to do.
type Diagnosis struct {
	Code     string // stable, one of those the diagnosis rules document
	Cause    string
	Evidence []string
	Hint     string
}

// RecordCount counts records by the side that sent them. Its 32 bits (and
// Renegotiations') keep Result in a smaller allocation class; at 2^14
// bytes a record, they wrap after 64 TiB.
type RecordCount struct{ Client, Server uint32 }

// OverlapMismatch counts bytes of copies that differed, by the side that
// sent them.
type OverlapMismatch struct{ Client, Server int }

// Chain is a Certificate message's chain: a summary of each certificate,
// at most decode.MaxChainCertificates of them, and how many the message
// held.
type Chain struct {
	Certificates []decode.CertInfo
	Count        int
}
