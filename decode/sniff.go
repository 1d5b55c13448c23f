package decode

// SSLv2 framing of the compatible ClientHello (RFC 5246, Appendix E.2).
const (
	sslv2MsgClientHello = 1
	// sslv2HelloMin is msg_type, version and the three uint16 lengths.
	sslv2HelloMin = 9
)

type verdict uint8

const (
	verdictNo verdict = iota
	verdictYes
	verdictMore // the bytes so far fit, more are needed to decide
)

// plausibleHeader judges the first bytes of a record header alone: content
// type 20..24 (RFC 8446, Section 5.1), version 3.0 to 3.4, and a length
// within maxCiphertext.
func plausibleHeader(b []byte) verdict {
	if len(b) >= 1 && (b[0] < byte(ContentChangeCipherSpec) || b[0] > byte(ContentHeartbeat)) {
		return verdictNo
	}
	if len(b) >= 2 && b[1] != 3 {
		return verdictNo
	}
	if len(b) >= 3 && b[2] > 4 {
		return verdictNo
	}
	if len(b) < recordHeaderLen {
		return verdictMore
	}
	if int(b[3])<<8|int(b[4]) > maxCiphertext {
		return verdictNo
	}
	return verdictYes
}

// plausibleRecord decides whether a record starts at b[0] when the stream
// position is unknown. Besides the header it checks what the first body
// bytes must be for the content type, and that the record is followed by
// another plausible header or by the end of the data: random bytes pass
// all of that rarely, and a wrong guess would report garbage as messages.
func plausibleRecord(b []byte) verdict {
	if v := plausibleHeader(b); v != verdictYes {
		return v
	}
	n := int(b[3])<<8 | int(b[4])
	body := b[recordHeaderLen:]
	switch ContentType(b[0]) {
	case ContentChangeCipherSpec:
		// RFC 5246, Section 7.1: one byte of value 1.
		if n != 1 {
			return verdictNo
		}
		if len(body) < 1 {
			return verdictMore
		}
		if body[0] != 1 {
			return verdictNo
		}
	case ContentAlert:
		// A plaintext alert is level 1 or 2 (RFC 5246, Section 7.2); a
		// protected one is longer than two bytes and opaque.
		if n < 2 {
			return verdictNo
		}
		if n == 2 {
			if len(body) < 1 {
				return verdictMore
			}
			if body[0] != byte(AlertLevelWarning) && body[0] != byte(AlertLevelFatal) {
				return verdictNo
			}
		}
	case ContentHandshake:
		// The record must hold whole messages with known types, their
		// lengths tiling the body exactly: an encrypted Finished or the
		// middle of a split message passes that about once in 2^24. Four
		// zero bytes would be a HelloRequest, but far more often they are
		// the explicit nonce of an encrypted Finished (RFC 5288, Section
		// 3), so they do not count. A record that starts a message split
		// across records is passed over; the next one will do.
		if len(body) < n {
			return verdictMore
		}
		if !wholeMessages(body[:n]) {
			return verdictNo
		}
	}
	rest := b[min(len(b), recordHeaderLen+n):]
	if len(b) < recordHeaderLen+n {
		return verdictMore
	}
	if len(rest) == 0 {
		return verdictYes
	}
	return plausibleHeader(rest)
}

// wholeMessages reports whether b is a sequence of complete handshake
// messages of known types, not starting with four zero bytes.
func wholeMessages(b []byte) bool {
	if len(b) >= handshakeHeaderLen && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0 {
		return false
	}
	for len(b) > 0 {
		if len(b) < handshakeHeaderLen || !knownHandshakeType(HandshakeType(b[0])) {
			return false
		}
		n := handshakeHeaderLen + hsLength(b)
		if n > len(b) {
			return false
		}
		b = b[n:]
	}
	return true
}

// knownHandshakeType reports whether t is a handshake type that a TLS or
// SSL 3.0 peer sends on a stream transport.
func knownHandshakeType(t HandshakeType) bool {
	switch t {
	case HandshakeHelloRequest, HandshakeClientHello, HandshakeServerHello,
		HandshakeNewSessionTicket, HandshakeEndOfEarlyData, HandshakeEncryptedExtensions,
		HandshakeCertificate, HandshakeServerKeyExchange, HandshakeCertificateRequest,
		HandshakeServerHelloDone, HandshakeCertificateVerify, HandshakeClientKeyExchange,
		HandshakeFinished, HandshakeCertificateURL, HandshakeCertificateStatus,
		HandshakeSupplementalData, HandshakeKeyUpdate:
		return true
	}
	return false
}

// LooksLikeTLS reports whether b, the first bytes of a direction, can start
// a TLS record (content type 20..24, version 3.x with x <= 4) or an
// SSLv2-compatible ClientHello (RFC 5246, Appendix E.2: high bit set,
// message type 1, version 3.x or 0.2). It needs at most five bytes; with
// fewer it answers whether they could still be such a start, so an empty b
// looks like TLS.
func LooksLikeTLS(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if b[0]&0x80 != 0 {
		if len(b) >= 3 && b[2] != sslv2MsgClientHello {
			return false
		}
		if len(b) >= 4 && b[3] != 3 && b[3] != 0 {
			return false
		}
		if len(b) >= 5 && ((b[3] == 3 && b[4] > 4) || (b[3] == 0 && b[4] != 2)) {
			return false
		}
		return true
	}
	// Only the header fields that do not depend on the length: a first
	// record of any length is still TLS, the limits are Stream's to judge.
	if b[0] < byte(ContentChangeCipherSpec) || b[0] > byte(ContentHeartbeat) {
		return false
	}
	if len(b) >= 2 && b[1] != 3 {
		return false
	}
	if len(b) >= 3 && b[2] > 4 {
		return false
	}
	return true
}

// FindClientHello returns the offset in b of the first plausible handshake
// record holding a ClientHello (16 03 0x LL LL 01 ...), or -1. It lets
// flows find TLS after a plaintext prelude such as SMTP or IMAP STARTTLS or
// a SOCKS exchange. The record must be long enough for a hello header, the
// message length within maxHandshake and at least the fixed ClientHello
// fields, and the client_version major byte 3 (RFC 5246, Section 7.4.1.2).
func FindClientHello(b []byte) int {
	// header(5) + msg_type(1) + length(3) + client_version major(1)
	const need = recordHeaderLen + handshakeHeaderLen + 1
	// version(2) + random(32) + session_id length(1) + cipher_suites
	// length(2) + one suite(2) + compression length(1) + one method(1)
	const minHello = 41
	for i := 0; i+need <= len(b); i++ {
		if b[i] != byte(ContentHandshake) || b[i+1] != 3 || b[i+2] > 4 {
			continue
		}
		n := int(b[i+3])<<8 | int(b[i+4])
		if n < handshakeHeaderLen || n > maxCiphertext {
			continue
		}
		h := b[i+recordHeaderLen:]
		if HandshakeType(h[0]) != HandshakeClientHello {
			continue
		}
		if m := hsLength(h); m < minHello || m > maxHandshake {
			continue
		}
		if h[handshakeHeaderLen] != 3 {
			continue
		}
		return i
	}
	return -1
}
