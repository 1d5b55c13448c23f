package flows

import (
	"unsafe"

	"github.com/hsdecode/hsdecode/decode"
)

// Heap a Result keeps alive while it is held (for start order, or a
// report written at the end), beyond the fixed part. A Result handed over
// is a field of its Tracker, so holding it holds the whole Tracker; its
// decoders were released at the close.
const (
	// detailCost is what a kept hello or other message detail costs besides
	// its wire length: the parsed slices and the struct.
	detailCost = 1024
	// certCost is one certificate summary: names, fingerprints, SANs.
	certCost = 1536
)

// HeldCost estimates the heap r keeps alive while held, for the callers
// that bound what they hold (the offline pipeline holds results that wait
// for a connection that began earlier). TestHeldCostCoversHeap keeps it
// honest against the heap's own growth.
func HeldCost(r *Result) int64 {
	n := int64(unsafe.Sizeof(Tracker{}))
	n += int64(cap(r.Messages)) * int64(unsafe.Sizeof(Message{}))
	n += int64(cap(r.Alerts)) * int64(unsafe.Sizeof(Alert{}))
	for _, v := range r.Violations {
		n += int64(unsafe.Sizeof(v)) + int64(len(v.Detail)+len(v.Got))
		for _, e := range v.Expected {
			n += int64(len(e)) + 16
		}
	}
	n += int64(len(r.ServerName) + len(r.ALPN))
	// A kept message detail references a copy of the message body.
	for _, m := range r.Messages {
		for _, typ := range detailTypes {
			if m.Type == typ {
				n += int64(m.Length) + detailCost
				break
			}
		}
	}
	for _, ch := range []*Chain{r.ServerCertificates, r.ClientCertificates} {
		if ch != nil {
			n += int64(len(ch.Certificates)) * certCost
		}
	}
	return n
}

// detailTypes are the message types whose first message a Result keeps
// (details).
var detailTypes = [...]string{
	kindClientHello.String(), kindServerHello.String(), kindHelloRetryRequest.String(),
	kindCertificateRequest.String(), kindCertificateStatus.String(), kindNewSessionTicket.String(),
	kindServerKeyExchange.String(), kindClientKeyExchange.String(), handshakeKind(decode.HandshakeEncryptedExtensions).String(),
}
