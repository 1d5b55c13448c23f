package decode

import "golang.org/x/crypto/cryptobyte"

// NewSessionTicket is the TLS <= 1.2 ticket message (RFC 5077, Section
// 3.3). The TLS 1.3 message of the same type is always encrypted.
type NewSessionTicket struct {
	LifetimeHint uint32
	TicketLength int
}

// Type returns HandshakeNewSessionTicket.
func (m *NewSessionTicket) Type() HandshakeType { return HandshakeNewSessionTicket }

// parseNewSessionTicket parses uint32 ticket_lifetime_hint and opaque
// ticket<0..2^16-1>; an empty ticket is how a server declines after all.
func parseNewSessionTicket(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	m := new(NewSessionTicket)
	var ticket cryptobyte.String
	if !s.ReadUint32(&m.LifetimeHint) || !s.ReadUint16LengthPrefixed(&ticket) {
		return nil, errTruncated
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	m.TicketLength = len(ticket)
	return m, nil
}
