package dtls

import (
	"errors"
	"sort"

	"golang.org/x/crypto/cryptobyte"
)

// Fragment is one handshake fragment of a record. Body aliases the record.
type Fragment struct {
	Type       uint8
	Length     int // the whole message's body length
	MessageSeq uint16
	Offset     int
	Body       []byte
}

// ErrFragment is returned for a handshake fragment that does not parse,
// or that lies beyond its message's length.
var ErrFragment = errors.New("dtls: malformed handshake fragment")

// Fragments returns the handshake fragments of a handshake record's
// plaintext, each after its 12-byte header (type, length, message_seq,
// fragment_offset, fragment_length; RFC 6347, 4.2.2): several may share a
// record (RFC 6347, 4.2.3).
func Fragments(record []byte) ([]Fragment, error) {
	var out []Fragment
	s := cryptobyte.String(record)
	for !s.Empty() {
		var f Fragment
		var length, offset, fragLen uint32
		if !s.ReadUint8(&f.Type) || !s.ReadUint24(&length) || !s.ReadUint16(&f.MessageSeq) ||
			!s.ReadUint24(&offset) || !s.ReadUint24(&fragLen) || !s.ReadBytes(&f.Body, int(fragLen)) {
			return out, ErrFragment
		}
		if offset+fragLen > length {
			return out, ErrFragment
		}
		f.Length, f.Offset = int(length), int(offset)
		out = append(out, f)
	}
	return out, nil
}

// MaxMessage bounds one reassembled handshake message, as package decode
// bounds TLS's (a certificate chain).
const MaxMessage = 256 << 10

// maxPending bounds the messages held ahead of the next one: a flight
// has a handful.
const maxPending = 16

// Reassembler puts one direction's handshake messages back together from
// their fragments and hands them over in message_seq order (RFC 6347,
// 4.2.2 and 4.2.4): fragments may come out of order, overlap, or again in
// a retransmitted flight, whose messages below the next message_seq are
// read once.
//
// Invariants: next is the message_seq of the next message to hand over;
// pending holds the messages at or after it that have a fragment.
type Reassembler struct {
	next    uint16 // each side's first message has message_seq 0 (RFC 6347, 4.2.2)
	pending map[uint16]*message
	held    int
	// Retransmitted counts fragments of messages already handed over.
	Retransmitted int
}

type message struct {
	typ    uint8
	body   []byte
	have   []span // received ranges, sorted, merged
	length int
}

type span struct{ from, to int }

// Add takes a fragment and returns the messages it completes, in order,
// each with TLS's 4-byte header (type, 24-bit length) so that package
// decode parses it; they are the caller's. A fragment that disagrees with
// an earlier one of its message on the type or length is ErrFragment.
func (r *Reassembler) Add(f Fragment) ([][]byte, error) {
	if f.MessageSeq < r.next {
		r.Retransmitted++
		return nil, nil
	}
	if f.Length > MaxMessage || int(f.MessageSeq-r.next) >= maxPending {
		return nil, ErrFragment
	}
	if r.pending == nil {
		r.pending = map[uint16]*message{}
	}
	m := r.pending[f.MessageSeq]
	if m == nil {
		m = &message{typ: f.Type, length: f.Length, body: make([]byte, f.Length)}
		r.pending[f.MessageSeq] = m
		r.held += f.Length
	}
	if m.typ != f.Type || m.length != f.Length {
		return nil, ErrFragment
	}
	copy(m.body[f.Offset:], f.Body)
	m.add(span{f.Offset, f.Offset + len(f.Body)})
	var out [][]byte
	for {
		m := r.pending[r.next]
		if m == nil || !m.whole() {
			break
		}
		delete(r.pending, r.next)
		r.held -= m.length
		msg := make([]byte, 4+m.length)
		msg[0], msg[1], msg[2], msg[3] = m.typ, byte(m.length>>16), byte(m.length>>8), byte(m.length)
		copy(msg[4:], m.body)
		out = append(out, msg)
		r.next++
	}
	return out, nil
}

// add notes a received range.
func (m *message) add(s span) {
	m.have = append(m.have, s)
	sort.Slice(m.have, func(i, j int) bool { return m.have[i].from < m.have[j].from })
	merged := m.have[:1]
	for _, x := range m.have[1:] {
		last := &merged[len(merged)-1]
		if x.from <= last.to {
			last.to = max(last.to, x.to)
		} else {
			merged = append(merged, x)
		}
	}
	m.have = merged
}

// whole reports whether every byte of the message came.
func (m *message) whole() bool {
	return m.length == 0 && len(m.have) > 0 || len(m.have) == 1 && m.have[0].from == 0 && m.have[0].to == m.length
}

// Buffered is what the Reassembler holds of messages not yet whole.
func (r *Reassembler) Buffered() int { return r.held }

// Next is the message_seq of the next message to hand over.
func (r *Reassembler) Next() uint16 { return r.next }
