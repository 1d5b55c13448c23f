package decode

import "golang.org/x/crypto/cryptobyte"

// parseHelloRetryRequest parses the hello_retry_request message of TLS
// 1.3 drafts up to 21 (type 6; draft.go) into a ServerHello with
// HelloRetryRequest and Draft set, as hsdecode reads every
// HelloRetryRequest. draft-ietf-tls-tls13-18, Section 4.1.4:
// server_version, extensions<2..2^16-1>; draft 19 added cipher_suite
// after the version (draft-ietf-tls-tls13-21, Section 4.1.4). Wireshark
// reads it the same way.
func parseHelloRetryRequest(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	r := new(serverHelloRoom)
	m := &r.m
	m.HelloRetryRequest, m.Draft = true, true
	if !s.ReadUint16((*uint16)(&m.LegacyVersion)) {
		return nil, errTruncated
	}
	if n, ok := m.LegacyVersion.TLS13Draft(); !ok || n >= 19 {
		if !s.ReadUint16((*uint16)(&m.CipherSuite)) {
			return nil, errTruncated
		}
	}
	exts, err := readExtensions(&s, r.extensions[:], r.extension)
	if err != nil {
		return nil, err
	}
	m.Extensions = exts
	return m, nil
}
