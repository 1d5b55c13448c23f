package keylog

import "encoding/hex"

// AppendNSS appends the secrets as NSS key log lines, one per label it
// has, as a key log file would hold them.
func (s *Secrets) AppendNSS(b []byte) []byte {
	for l := range numLabels {
		sec := s.Secret(l)
		if sec == nil {
			continue
		}
		b = append(b, labelNames[l]...)
		b = append(b, ' ')
		b = hex.AppendEncode(b, s.ClientRandom[:])
		b = append(b, ' ')
		b = hex.AppendEncode(b, sec)
		b = append(b, '\n')
	}
	return b
}
