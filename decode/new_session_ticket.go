package decode

import "golang.org/x/crypto/cryptobyte"

// NewSessionTicket is the TLS <= 1.2 ticket message (RFC 5077, Section
// 3.3), or the TLS 1.3 one (RFC 8446, Section 4.6.1; ParseHandshake13),
// which is always encrypted. LifetimeHint is TLS 1.3's ticket_lifetime,
// the same bound in seconds.
type NewSessionTicket struct {
	LifetimeHint uint32
	TicketLength int
	// TLS13 says the message is in the TLS 1.3 form, with ticket_age_add,
	// the length of ticket_nonce and extensions; EarlyData says it
	// carries early_data, whose max_early_data_size is MaxEarlyDataSize
	// (RFC 8446, Section 4.2.10).
	TLS13            bool
	AgeAdd           uint32
	NonceLength      int
	Extensions       []Extension
	EarlyData        bool
	MaxEarlyDataSize uint32
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
