package quic

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// Frame types an Initial or Handshake packet may carry (RFC 9000, 12.4,
// Table 3), and NEW_CONNECTION_ID and HANDSHAKE_DONE, which only a 1-RTT
// packet (or 0-RTT, the former) carries.
const (
	framePadding          = 0x00
	framePing             = 0x01
	frameAck              = 0x02
	frameAckECN           = 0x03
	frameCrypto           = 0x06
	frameNewConnectionID  = 0x18
	frameConnectionClose  = 0x1c // a QUIC transport error
	frameApplicationClose = 0x1d
	frameHandshakeDone    = 0x1e
)

// Crypto is a CRYPTO frame: handshake bytes at an offset of their
// encryption level's stream (RFC 9000, 19.6). Data aliases the payload.
type Crypto struct {
	Offset uint64
	Data   []byte
}

// ConnectionClose is a CONNECTION_CLOSE frame (RFC 9000, 19.19).
type ConnectionClose struct {
	// Application is true for type 0x1d, an application's error code.
	Application bool
	ErrorCode   uint64
	FrameType   uint64 // the frame that caused a transport error, 0x1c only
	Reason      string
}

// cryptoErrorBase is the first of the transport error codes that carry a
// TLS alert, 0x0100 + alert (RFC 9001, 4.8).
const cryptoErrorBase = 0x0100

// Alert returns the TLS alert a transport error carries, if it is a
// CRYPTO_ERROR (RFC 9001, 4.8).
func (c *ConnectionClose) Alert() (uint8, bool) {
	if c.Application || c.ErrorCode < cryptoErrorBase || c.ErrorCode > cryptoErrorBase+0xff {
		return 0, false
	}
	return uint8(c.ErrorCode - cryptoErrorBase), true
}

// Frames is what an Initial or Handshake packet's frames say to an
// observer of the handshake; ACK, PING and PADDING say nothing of it.
type Frames struct {
	Crypto []Crypto
	Close  *ConnectionClose
	// HandshakeDone: the server confirmed the handshake (RFC 9000, 19.20).
	HandshakeDone bool
	// AckEliciting: a frame other than ACK, PADDING and CONNECTION_CLOSE
	// (RFC 9002, 2).
	AckEliciting bool
	// NewConnectionIDs are the connection IDs the sender issued in
	// NEW_CONNECTION_ID frames (RFC 9000, 19.15): its peer may send to it
	// with any of them, from a new path too (9.5).
	NewConnectionIDs [][]byte
}

// ErrFrame is returned for a frame that does not parse, or of a type an
// Initial or Handshake packet may not carry (RFC 9000, 12.4: a
// PROTOCOL_VIOLATION).
var ErrFrame = errors.New("quic: malformed or unexpected frame")

// ParseFrames reads the frames of an Initial or Handshake packet's
// plaintext payload (RFC 9000, 12.4 and 19). The result aliases payload.
func ParseFrames(payload []byte) (Frames, error) { return parseFrames(payload, false) }

// ParseFrames1RTT reads the frames of a 1-RTT packet's plaintext payload,
// any frame of RFC 9000, 19, and DATAGRAM (RFC 9221) passed over but for
// CRYPTO, CONNECTION_CLOSE and HANDSHAKE_DONE.
func ParseFrames1RTT(payload []byte) (Frames, error) { return parseFrames(payload, true) }

func parseFrames(payload []byte, oneRTT bool) (Frames, error) {
	var f Frames
	s := cryptobyte.String(payload)
	for len(s) > 0 {
		var typ uint64
		if !readVarint(&s, &typ) {
			return f, ErrFrame
		}
		switch typ {
		case framePadding:
		case framePing:
			f.AckEliciting = true
		case frameAck, frameAckECN:
			if !skipAck(&s, typ == frameAckECN) {
				return f, ErrFrame
			}
		case frameCrypto:
			var c Crypto
			var data cryptobyte.String
			// The offset and length together stay below 2^62 (19.6).
			if !readVarint(&s, &c.Offset) || !readVarintPrefixed(&s, &data) || c.Offset+uint64(len(data)) >= 1<<62 {
				return f, ErrFrame
			}
			c.Data = data
			f.Crypto = append(f.Crypto, c)
			f.AckEliciting = true
		case frameConnectionClose, frameApplicationClose:
			c := &ConnectionClose{Application: typ == frameApplicationClose}
			var reason cryptobyte.String
			if !readVarint(&s, &c.ErrorCode) || !c.Application && !readVarint(&s, &c.FrameType) || !readVarintPrefixed(&s, &reason) {
				return f, ErrFrame
			}
			c.Reason = string(reason)
			if f.Close == nil {
				f.Close = c
			}
		case frameHandshakeDone:
			f.HandshakeDone, f.AckEliciting = true, true
		case frameNewConnectionID:
			// Sequence Number, Retire Prior To, an ID of 1 to 20 bytes
			// and a Stateless Reset Token (RFC 9000, 19.15); only in
			// 0-RTT and 1-RTT packets (12.4).
			var seq, retire uint64
			var id cryptobyte.String
			if !oneRTT || !readVarint(&s, &seq) || !readVarint(&s, &retire) || !s.ReadUint8LengthPrefixed(&id) ||
				len(id) == 0 || len(id) > maxConnIDLen || !s.Skip(16) {
				return f, ErrFrame
			}
			f.NewConnectionIDs = append(f.NewConnectionIDs, id)
			f.AckEliciting = true
		default:
			if !oneRTT || !skipFrame(&s, typ) {
				return f, ErrFrame
			}
			f.AckEliciting = true
		}
	}
	return f, nil
}

// skipFrame passes over the fields of a frame of a 1-RTT packet that says
// nothing of the handshake (RFC 9000, 19; DATAGRAM, RFC 9221, 4).
func skipFrame(s *cryptobyte.String, typ uint64) bool {
	var v uint64
	varints := func(n int) bool {
		for range n {
			if !readVarint(s, &v) {
				return false
			}
		}
		return true
	}
	var b cryptobyte.String
	switch {
	case typ == 0x04: // RESET_STREAM
		return varints(3)
	case typ == 0x05, typ == 0x11, typ == 0x15: // STOP_SENDING, MAX_STREAM_DATA, STREAM_DATA_BLOCKED
		return varints(2)
	case typ == 0x07: // NEW_TOKEN
		return readVarintPrefixed(s, &b)
	case typ >= 0x08 && typ <= 0x0f: // STREAM, with OFF, LEN and FIN bits
		if !varints(1) || typ&0x04 != 0 && !varints(1) {
			return false
		}
		if typ&0x02 != 0 {
			return readVarintPrefixed(s, &b)
		}
		*s = (*s)[len(*s):] // the data runs to the end of the packet
		return true
	case typ == 0x10, typ == 0x12, typ == 0x13, typ == 0x14, typ == 0x16, typ == 0x17, typ == 0x19:
		return varints(1) // MAX_DATA, MAX_STREAMS, DATA_BLOCKED, STREAMS_BLOCKED, RETIRE_CONNECTION_ID
	case typ == 0x1a, typ == 0x1b: // PATH_CHALLENGE, PATH_RESPONSE
		return s.Skip(8)
	case typ == 0x30:
		*s = (*s)[len(*s):]
		return true
	case typ == 0x31:
		return readVarintPrefixed(s, &b)
	}
	return false
}

// skipAck passes over the fields of an ACK frame after its type (RFC 9000,
// 19.3).
func skipAck(s *cryptobyte.String, ecn bool) bool {
	var largest, delay, ranges, first uint64
	if !readVarint(s, &largest) || !readVarint(s, &delay) || !readVarint(s, &ranges) || !readVarint(s, &first) {
		return false
	}
	// Each range is two varints of at least a byte: a count beyond the
	// bytes left is malformed, checked before looping on it.
	if ranges > uint64(len(*s))/2 {
		return false
	}
	var v uint64
	for range 2 * ranges {
		if !readVarint(s, &v) {
			return false
		}
	}
	if ecn {
		for range 3 {
			if !readVarint(s, &v) {
				return false
			}
		}
	}
	return true
}
