package quic

import (
	"os"
	"path/filepath"
	"strings"
)

// The protected packets of RFC 9001, Appendix A.2 and A.3, and of RFC 9369,
// Appendix A.2 and A.3: a client Initial carrying a ClientHello, padded, and
// the server Initial answering it with an ACK and a ServerHello, both for the
// client's Destination Connection ID 8394c8f03e515708. They are kept as hex
// in testdata/, which flows' tests read too.
var (
	rfc9001ClientInitial = vector("rfc9001-client-initial.hex")
	rfc9369ClientInitial = vector("rfc9369-client-initial.hex")
	rfc9001ServerInitial = vector("rfc9001-server-initial.hex")
	rfc9369ServerInitial = vector("rfc9369-server-initial.hex")
)

// vector is a hex file of testdata/, its lines joined.
func vector(name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "")
}
