package tlscrypto

import (
	"bytes"
	"crypto"

	"golang.org/x/crypto/hkdf"
)

// HKDFExpandLabel is HKDF-Expand-Label of RFC 8446, Section 7.1: the label
// is prefixed with "tls13 ". The context is a hash or a ticket nonce, which
// an opaque<0..255> bounds; a longer one is a caller's bug and panics.
func HKDFExpandLabel(h crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	if len(label) > 255-6 || len(context) > 255 {
		panic("tlscrypto: HKDF-Expand-Label: label or context too long")
	}
	// On the stack, at its longest (an allocation per derivation, a dozen
	// for a keyed connection, when made to measure).
	var buf [2 + 1 + 255 + 1 + 255 + 1]byte
	info := buf[:0]
	info = append(info, byte(length>>8), byte(length), byte(6+len(label)))
	info = append(info, "tls13 "...)
	info = append(info, label...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	if length <= h.Size() {
		// Every key, IV and secret of the schedule fits one block of
		// HKDF-Expand, T(1) = HMAC(secret, info | 0x01) (RFC 5869, 2.3):
		// one HMAC, without the general reader's allocations, which
		// were a tenth of a keyed run's time.
		return hmacSum(h, secret, append(info, 1))[:length]
	}
	out := make([]byte, length)
	// Labels and contexts here are short constants and hashes: the
	// expansion cannot fail for them.
	if _, err := hkdf.Expand(h.New, secret, bytes.Clone(info)).Read(out); err != nil { // buf stays on the stack
		panic("tlscrypto: HKDF-Expand-Label: " + err.Error())
	}
	return out
}

// DeriveSecret is Derive-Secret of RFC 8446, Section 7.1, given the
// transcript hash rather than the messages (a Transcript's Sum).
func DeriveSecret(h crypto.Hash, secret []byte, label string, transcriptHash []byte) []byte {
	return HKDFExpandLabel(h, secret, label, transcriptHash, h.Size())
}

// emptyHash is Transcript-Hash("") for the "derived" steps.
func emptyHash(h crypto.Hash) []byte { return h.New().Sum(nil) }

// EarlySecret is HKDF-Extract(0, PSK) of RFC 8446, Section 7.1; a nil psk
// stands for the string of Hash.length zeros used without a PSK.
func EarlySecret(h crypto.Hash, psk []byte) []byte {
	if psk == nil {
		psk = make([]byte, h.Size())
	}
	return hkdf.Extract(h.New, psk, make([]byte, h.Size()))
}

// HandshakeSecret is HKDF-Extract(Derive-Secret(early, "derived", ""),
// (EC)DHE) (RFC 8446, Section 7.1).
func HandshakeSecret(h crypto.Hash, early, sharedSecret []byte) []byte {
	return hkdf.Extract(h.New, sharedSecret, DeriveSecret(h, early, "derived", emptyHash(h)))
}

// MasterSecret is HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0)
// (RFC 8446, Section 7.1).
func MasterSecret(h crypto.Hash, handshake []byte) []byte {
	return hkdf.Extract(h.New, make([]byte, h.Size()), DeriveSecret(h, handshake, "derived", emptyHash(h)))
}

// ResumptionPSK is the PSK a ticket stands for: HKDF-Expand-Label(
// resumption_master_secret, "resumption", ticket_nonce, Hash.length) (RFC
// 8446, Section 4.6.1).
func ResumptionPSK(h crypto.Hash, resumptionMaster, ticketNonce []byte) []byte {
	return HKDFExpandLabel(h, resumptionMaster, "resumption", ticketNonce, h.Size())
}

// Labels of the secrets derived with Derive-Secret (RFC 8446, Section 7.1).
const (
	LabelExternalBinder      = "ext binder"
	LabelResumptionBinder    = "res binder"
	LabelClientEarly         = "c e traffic"
	LabelEarlyExporter       = "e exp master"
	LabelClientHandshake     = "c hs traffic"
	LabelServerHandshake     = "s hs traffic"
	LabelClientApplication   = "c ap traffic"
	LabelServerApplication   = "s ap traffic"
	LabelExporterMaster      = "exp master"
	LabelResumptionMaster    = "res master"
	labelTrafficUpdate       = "traffic upd"
	labelFinished            = "finished"
	labelKey, labelIV        = "key", "iv"
	tls13IVLen               = 12
	tls13MaxCiphertextLength = 1<<14 + 256
)

// TrafficKeys returns the record key and IV of a traffic secret (RFC 8446,
// Section 7.3).
func TrafficKeys(s *Suite, secret []byte) (key, iv []byte) {
	return HKDFExpandLabel(s.Hash, secret, labelKey, nil, s.KeyLen),
		HKDFExpandLabel(s.Hash, secret, labelIV, nil, tls13IVLen)
}

// NextTrafficSecret is application_traffic_secret_N+1, the secret after a
// KeyUpdate (RFC 8446, Section 7.2).
func NextTrafficSecret(h crypto.Hash, secret []byte) []byte {
	return HKDFExpandLabel(h, secret, labelTrafficUpdate, nil, h.Size())
}

// FinishedKey is finished_key of RFC 8446, Section 4.4.4, from the base key
// (the sender's handshake traffic secret, or a binder key).
func FinishedKey(h crypto.Hash, baseKey []byte) []byte {
	return HKDFExpandLabel(h, baseKey, labelFinished, nil, h.Size())
}

// FinishedVerifyData13 is a TLS 1.3 Finished's verify_data:
// HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
// CertificateVerify*)) (RFC 8446, Section 4.4.4). A PSK binder is made the
// same way from the binder key over the truncated ClientHello (4.2.11.2).
func FinishedVerifyData13(h crypto.Hash, baseKey, transcriptHash []byte) []byte {
	return hmacSum(h, FinishedKey(h, baseKey), transcriptHash)
}
