package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// The fixed key and nonce of the Retry integrity tag (RFC 9001, 5.8; RFC
// 9369, 3.3.3).
var retrySecrets = map[Version]struct{ key, nonce []byte }{
	Version1: {
		[]byte{0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e},
		[]byte{0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb},
	},
	Version2: {
		[]byte{0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92},
		[]byte{0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a},
	},
}

// RetryTagValid reports whether a Retry packet's integrity tag is the
// AEAD tag, over the Retry pseudo-packet, of the client's Destination
// Connection ID it answers (RFC 9001, 5.8): a Retry that is not was not
// made by a server that saw that Initial, and a client discards it.
func RetryTagValid(p *Packet, origDCID []byte) bool {
	s, ok := retrySecrets[p.Version]
	if p.Type != PacketRetry || !ok || len(p.Raw) < retryTagLen || len(origDCID) > 255 {
		return false
	}
	body := p.Raw[:len(p.Raw)-retryTagLen]
	pseudo := make([]byte, 0, 1+len(origDCID)+len(body))
	pseudo = append(pseudo, byte(len(origDCID)))
	pseudo = append(pseudo, origDCID...)
	pseudo = append(pseudo, body...)
	b, err := aes.NewCipher(s.key)
	if err != nil {
		return false
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return false
	}
	tag := g.Seal(nil, s.nonce, nil, pseudo)
	return subtle.ConstantTimeCompare(tag, p.Raw[len(body):]) == 1
}
