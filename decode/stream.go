package decode

import (
	"fmt"
	"sync"
)

// Record and handshake limits. They are checked on a header before the body
// it announces is waited for, so a hostile length costs nothing.
const (
	recordHeaderLen    = 5
	handshakeHeaderLen = 4

	// maxCiphertext is the longest record body any version allows: RFC 5246,
	// Section 6.2.3 lets a TLSCiphertext carry 2^14+2048 bytes. TLS 1.3 (RFC
	// 8446, Section 5.2) allows only 2^14+256, so this is the overall cap.
	maxCiphertext = 16384 + 2048

	// maxHandshake bounds one handshake message. crypto/tls uses the same
	// bound (maxHandshakeCertificateMsg) for the largest message it accepts,
	// a certificate chain; RFC 8446 Section 4 only bounds it by the 24-bit
	// length field.
	maxHandshake = 256 << 10
)

// Options configures a Stream.
type Options struct {
	// Resync says the stream starts at an unknown offset: the capture began
	// mid-connection, or the bytes follow a plaintext prelude (STARTTLS,
	// SOCKS). Bytes are skipped until a plausible record boundary: a header
	// with content type 20..24, version 3.0..3.4, a length within the limits
	// and a body that fits its type, followed by another plausible header or
	// by the end of the data buffered so far. Skipped bytes are never
	// reported as messages; Skipped counts them.
	Resync bool
	// Raw says handshake events carry the message as sent (Event.Raw),
	// for a caller that hashes a transcript.
	Raw bool
}

// Stream decodes one direction of a TLS connection. Push bytes in with Feed,
// pull events out with Next until it reports that it needs more input.
//
// Invariants: buf[start:] is the input not yet consumed, and base+start is
// the stream offset of buf[start]. While rec.active, buf[start:rec.end] is
// the rest of a record body that is being split into several events.
// hs holds a handshake message (header included) whose bytes arrived in
// earlier records; it is non-empty only while that message is incomplete.
type Stream struct {
	opts Options

	buf   []byte
	start int
	base  int64
	err   error

	synced     bool // a record boundary is known
	seenRecord bool // a record has been consumed: SSLv2 is only legal first
	encrypted  bool
	keep       bool // application_data records are returned whole (KeepProtected)
	skipped    int64

	rec struct {
		active bool
		typ    ContentType
		vers   Version
		length int
		end    int
	}

	hs    []byte
	hsOff int64

	// skip counts body bytes of an opaque record whose event has already
	// been returned: they are dropped as they arrive, never buffered, so
	// bulk data costs no copy.
	skip int

	pooled *[]byte // what buf came from (buffers), to put it back in
}

// buffers recycles the input buffers of released Streams: a connection
// needs one only until its handshake is decided, and a capture has many
// thousands of connections, each of which allocated its own.
var buffers sync.Pool // of *[]byte

// maxPooledBuffer bounds the buffers kept: one grown by a huge message is
// left to the collector.
const maxPooledBuffer = 64 << 10

// Release gives the Stream's buffer back for reuse by later Streams; the
// Stream must not be used after.
func (s *Stream) Release() {
	if c := cap(s.buf); c > 0 && c <= maxPooledBuffer {
		p := s.pooled
		if p == nil {
			p = new([]byte)
		}
		*p = s.buf[:0]
		buffers.Put(p)
	}
	s.buf, s.hs, s.pooled = nil, nil, nil
}

// NewStream returns a Stream that expects the first byte of the direction,
// or, with o.Resync, any byte of it.
func NewStream(o Options) *Stream {
	return &Stream{opts: o, synced: !o.Resync}
}

// Feed appends b to the input. b is copied and may be reused by the caller.
// After Next has returned an error, Feed does nothing.
func (s *Stream) Feed(b []byte) {
	if s.err != nil || len(b) == 0 {
		return
	}
	if s.skip > 0 && s.start == len(s.buf) {
		n := min(s.skip, len(b))
		s.skip -= n
		s.base += int64(s.start + n)
		s.buf, s.start = s.buf[:0], 0
		if b = b[n:]; len(b) == 0 {
			return
		}
	}
	// Compact rather than grow: the consumed prefix is dead. Indices into
	// buf (start, rec.end) move with it; no parsed message keeps a view
	// into buf, so nothing else refers to the old positions.
	if s.start > 0 && (s.start == len(s.buf) || len(s.buf)+len(b) > cap(s.buf)) {
		n := copy(s.buf, s.buf[s.start:])
		s.buf = s.buf[:n]
		s.base += int64(s.start)
		if s.rec.active {
			s.rec.end -= s.start
		}
		s.start = 0
	}
	if s.buf == nil {
		if p, ok := buffers.Get().(*[]byte); ok {
			s.buf, s.pooled = *p, p
		}
	}
	s.buf = append(s.buf, b...)
}

// SetEncrypted says that this side's later records are protected: from the
// next record on, a handshake record becomes one EventEncryptedHandshake
// and an alert record one EventEncryptedAlert, and the body of a
// ChangeCipherSpec record is no longer checked. Flows calls it after this
// side's ChangeCipherSpec in TLS <= 1.2 (RFC 5246, Section 7.1).
func (s *Stream) SetEncrypted() { s.encrypted = true }

// KeepProtected says that from the next record on an application_data
// record, and a handshake record after SetEncrypted, is returned once it
// is whole, its body in Event.Raw (a protected alert's body is there too), rather than on its header with its
// body passed over: a caller with keys decrypts it (a TLS 1.3 record, RFC
// 8446, Section 5.2; a TLS 1.2 Finished, RFC 5246, Section 7.4.9).
// Without it no protected byte is buffered.
func (s *Stream) KeepProtected() { s.keep = true }

// Buffered is what the Stream holds of input it has not finished with:
// the rest of its input and a handshake message waiting for the rest. It
// counts bytes rather than the buffers' capacity, which depends on which
// pooled buffer a Stream was given, so that what is counted against a
// memory bound, and so which connections it closes, is the same on every
// run.
func (s *Stream) Buffered() int { return len(s.buf) - s.start + len(s.hs) }

// Skipped returns how many bytes were skipped while resynchronising.
func (s *Stream) Skipped() int64 { return s.skipped }

// Offset returns how many bytes of the direction have been consumed,
// skipped bytes included. It never decreases.
func (s *Stream) Offset() int64 { return s.base + int64(s.start) }

// Next returns the next event. Exactly one of these holds: an event is
// returned with ok=true; more input is needed (ok=false, err=nil); or the
// input is malformed and err is a *Error. After an error the stream is dead
// and every later call returns the same error.
func (s *Stream) Next() (ev Event, ok bool, err error) {
	if s.err != nil {
		return Event{}, false, s.err
	}
	ev, ok, err = s.next()
	if err != nil {
		s.err = err
		s.buf, s.hs = nil, nil
		return Event{}, false, err
	}
	return ev, ok, nil
}

func (s *Stream) fail(code ErrorCode, off int64, format string, args ...any) error {
	return &Error{Code: code, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

func (s *Stream) next() (Event, bool, error) {
	for {
		if s.skip > 0 {
			n := min(s.skip, len(s.buf)-s.start)
			s.start += n
			if s.skip -= n; s.skip > 0 {
				return Event{}, false, nil
			}
		}
		if s.rec.active {
			var ev Event
			var ok bool
			var err error
			if s.rec.typ == ContentAlert {
				ev, ok = s.nextAlert()
			} else {
				ev, ok, err = s.nextHandshake()
			}
			if ok || err != nil {
				return ev, ok, err
			}
			continue
		}
		if !s.synced && !s.resync() {
			return Event{}, false, nil
		}
		b := s.buf[s.start:]
		if !s.seenRecord && !s.opts.Resync && len(b) > 0 && b[0]&0x80 != 0 {
			return s.sslv2()
		}
		if len(b) < recordHeaderLen {
			return Event{}, false, nil
		}
		typ := ContentType(b[0])
		vers := Version(uint16(b[1])<<8 | uint16(b[2]))
		n := int(b[3])<<8 | int(b[4])
		off := s.Offset()
		if err := s.checkHeader(typ, vers, n, off); err != nil {
			return Event{}, false, err
		}
		// RFC 8446, Section 5.1: handshake messages MUST NOT be
		// interleaved with other record types.
		if len(s.hs) > 0 && (typ != ContentHandshake || s.encrypted) {
			return Event{}, false, s.fail(CodeMalformedHandshake, s.hsOff,
				"%s record at offset %d interrupts a handshake message", typ, off)
		}
		if kind, opaque := s.opaque(typ); opaque && s.keep && kind != EventHeartbeat {
			if len(b) < recordHeaderLen+n {
				return Event{}, false, nil
			}
			s.seenRecord = true
			s.start += recordHeaderLen + n
			return Event{Kind: kind, RecordVersion: vers, Length: n, Raw: b[recordHeaderLen : recordHeaderLen+n]}, true, nil
		}
		if kind, opaque := s.opaque(typ); opaque {
			// Nothing in the body is read: report the record on its
			// header and let its bytes pass without buffering them.
			s.seenRecord = true
			avail := min(n, len(b)-recordHeaderLen)
			s.start += recordHeaderLen + avail
			s.skip = n - avail
			return Event{Kind: kind, RecordVersion: vers, Length: n}, true, nil
		}
		if len(b) < recordHeaderLen+n {
			return Event{}, false, nil
		}
		body := b[recordHeaderLen : recordHeaderLen+n]
		s.seenRecord = true
		s.start += recordHeaderLen
		ev := Event{RecordVersion: vers, Length: n}
		switch typ {
		case ContentChangeCipherSpec:
			// RFC 5246, Section 7.1: the message is a single byte of value 1.
			// Under protection the body is ciphertext and cannot be checked.
			if !s.encrypted && (n != 1 || body[0] != 1) {
				return Event{}, false, s.fail(CodeMalformedRecord, off,
					"change_cipher_spec body is % x, want 01", body)
			}
			s.start += n
			ev.Kind = EventChangeCipherSpec
			if s.keep && s.encrypted {
				// A renegotiation's CCS is protected by the keys before
				// it, whose record sequence it moves on.
				ev.Raw = body
			}
			return ev, true, nil
		case ContentAlert:
			if s.encrypted || protectedAlert(body) {
				s.start += n
				ev.Kind = EventEncryptedAlert
				if s.keep {
					ev.Raw = body
				}
				return ev, true, nil
			}
			// RFC 5246, Section 7.2: an alert is two bytes; a record may
			// carry several, but never part of one.
			if n%2 != 0 {
				return Event{}, false, s.fail(CodeMalformedRecord, off,
					"alert record of odd length %d", n)
			}
		}
		s.rec.active = true
		s.rec.typ, s.rec.vers, s.rec.length = typ, vers, n
		s.rec.end = s.start + n
	}
}

// protectedAlert reports whether an alert record that arrived before
// SetEncrypted is in fact protected: a stream that began after the
// sender's ChangeCipherSpec cannot know otherwise. Stacks send one alert
// per record and a protected alert is at least 18 bytes (2 + a 16-byte
// tag or MAC), so a record of several alerts is taken as plaintext only
// when every level is warning or fatal (RFC 5246, Section 7.2): 26 random
// bytes pass that with odds of (2/256)^13.
func protectedAlert(body []byte) bool {
	if len(body) <= 2 || len(body)%2 != 0 {
		return false
	}
	for i := 0; i < len(body); i += 2 {
		if l := AlertLevel(body[i]); l != AlertLevelWarning && l != AlertLevelFatal {
			return true
		}
	}
	return false
}

// opaque says whether a record of this type is reported without reading
// its body, and as what: application data and heartbeats always, handshake
// records once protected. A protected alert is not: its body tells a
// plaintext alert from a protected one when SetEncrypted was not called.
func (s *Stream) opaque(typ ContentType) (EventKind, bool) {
	switch {
	case typ == ContentApplicationData:
		return EventApplicationData, true
	case typ == ContentHeartbeat:
		return EventHeartbeat, true
	case typ == ContentHandshake && s.encrypted:
		return EventEncryptedHandshake, true
	}
	return 0, false
}

// checkHeader applies the record-layer limits to a header before its body
// is buffered.
func (s *Stream) checkHeader(typ ContentType, vers Version, n int, off int64) error {
	// RFC 5246, Section 6.2.1 and RFC 8446, Section 5: unknown content
	// types are an unexpected_message; for us the stream is undecodable.
	if typ < ContentChangeCipherSpec || typ > ContentHeartbeat {
		return s.fail(CodeUnknownContentType, off, "record content type %d", uint8(typ))
	}
	// Every SSL 3.0 and TLS record carries major version 3 (RFC 6101
	// Section 5.2.1, RFC 8446 Section 5.1).
	if vers>>8 != 3 {
		return s.fail(CodeMalformedRecord, off, "record version 0x%04x", uint16(vers))
	}
	if n > maxCiphertext {
		return s.fail(CodeRecordOverflow, off, "record length %d exceeds %d", n, maxCiphertext)
	}
	// RFC 5246, Section 6.2.1: zero-length fragments of handshake, alert
	// and change_cipher_spec MUST NOT be sent (application data may be).
	if n == 0 && typ != ContentApplicationData && typ != ContentHeartbeat {
		return s.fail(CodeMalformedRecord, off, "empty %s record", typ)
	}
	return nil
}

// nextAlert returns the next two-byte alert of the current record.
func (s *Stream) nextAlert() (Event, bool) {
	if s.start >= s.rec.end {
		s.rec.active = false
		return Event{}, false
	}
	b := s.buf[s.start : s.start+2]
	s.start += 2
	return Event{
		Kind:          EventAlert,
		RecordVersion: s.rec.vers,
		Length:        s.rec.length,
		Alert:         Alert{Level: AlertLevel(b[0]), Description: AlertDescription(b[1])},
	}, true
}

// nextHandshake returns the next handshake message that the current record
// completes. A message that lies whole in the record is parsed in place; one
// that spans records is gathered in s.hs.
func (s *Stream) nextHandshake() (Event, bool, error) {
	for s.start < s.rec.end {
		avail := s.buf[s.start:s.rec.end]
		if len(s.hs) == 0 && len(avail) >= handshakeHeaderLen {
			off := s.Offset()
			n := int(avail[1])<<16 | int(avail[2])<<8 | int(avail[3])
			if n > maxHandshake {
				return Event{}, false, s.fail(CodeMalformedHandshake, off,
					"%s length %d exceeds %d", HandshakeType(avail[0]), n, maxHandshake)
			}
			if len(avail) >= handshakeHeaderLen+n {
				s.start += handshakeHeaderLen + n
				return s.message(avail[:handshakeHeaderLen+n], off)
			}
			s.hsOff = off
			s.hs = append(s.hs[:0], avail...)
			s.start = s.rec.end
			break
		}
		if len(s.hs) == 0 {
			s.hsOff = s.Offset()
		}
		if len(s.hs) < handshakeHeaderLen {
			k := min(handshakeHeaderLen-len(s.hs), len(avail))
			s.hs = append(s.hs, avail[:k]...)
			s.start += k
			avail = avail[k:]
			if len(s.hs) < handshakeHeaderLen {
				continue
			}
			if n := hsLength(s.hs); n > maxHandshake {
				return Event{}, false, s.fail(CodeMalformedHandshake, s.hsOff,
					"%s length %d exceeds %d", HandshakeType(s.hs[0]), n, maxHandshake)
			}
		}
		k := min(handshakeHeaderLen+hsLength(s.hs)-len(s.hs), len(avail))
		s.hs = append(s.hs, avail[:k]...)
		s.start += k
		if len(s.hs) == handshakeHeaderLen+hsLength(s.hs) {
			ev, ok, err := s.message(s.hs, s.hsOff)
			s.hs = s.hs[:0]
			return ev, ok, err
		}
	}
	s.rec.active = false
	return Event{}, false, nil
}

func hsLength(h []byte) int { return int(h[1])<<16 | int(h[2])<<8 | int(h[3]) }

// message parses one complete handshake message, header included. raw
// may alias the stream's buffers: parsers copy what they keep.
func (s *Stream) message(raw []byte, off int64) (Event, bool, error) {
	body := raw[handshakeHeaderLen:]
	m, err := parseHandshake(HandshakeType(raw[0]), body)
	if err != nil {
		err.Offset = off
		return Event{}, false, err
	}
	ev := Event{Kind: EventHandshake, RecordVersion: s.rec.vers, Length: len(body), Message: m}
	if s.opts.Raw {
		ev.Raw = raw
	}
	return ev, true, nil
}

// sslv2 decodes an SSLv2-compatible ClientHello, the only SSLv2 message a
// TLS server accepts (RFC 5246, Appendix E.2). Its record header is two
// bytes, the high bit set and a 15-bit length.
func (s *Stream) sslv2() (Event, bool, error) {
	b := s.buf[s.start:]
	off := s.Offset()
	if len(b) >= 3 && b[2] != sslv2MsgClientHello {
		return Event{}, false, s.fail(CodeMalformedRecord, off,
			"SSLv2 record of message type %d, want a CLIENT-HELLO", b[2])
	}
	if len(b) < 2 {
		return Event{}, false, nil
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	if n < sslv2HelloMin {
		return Event{}, false, s.fail(CodeMalformedRecord, off, "SSLv2 record length %d too short", n)
	}
	if len(b) < 2+n {
		return Event{}, false, nil
	}
	s.seenRecord = true
	s.start += 2 + n
	ch, err := parseSSLv2ClientHello(b[2 : 2+n])
	if err != nil {
		err.Offset = off
		return Event{}, false, err
	}
	return Event{Kind: EventHandshake, RecordVersion: VersionSSL20, Length: n, Message: ch}, true, nil
}

// resync skips input until a plausible record header starts it. It reports
// false when more input is needed to decide.
func (s *Stream) resync() bool {
	for {
		switch plausibleRecord(s.buf[s.start:]) {
		case verdictYes:
			s.synced = true
			return true
		case verdictMore:
			return false
		}
		s.start++
		s.skipped++
	}
}
