package flows

import "github.com/hsdecode/hsdecode/keylog"

// KeyStore is where a tracker finds the secrets of a connection, by the
// random of its ClientHello: a *keylog.Log, which may grow while the
// capture is read (pcapng secrets blocks, a followed key log).
type KeyStore interface {
	Lookup(clientRandom [32]byte) (*keylog.Secrets, bool)
	// Len is how many connections have secrets: with none, a connection
	// is treated as if no key material were given, and its report is the
	// same as without a store.
	Len() int
}

// Key states (docs/report.md, keys): whether the key material given
// decrypted the connection. A connection with no key material given at
// all has none.
const (
	KeysFound   = "found"
	KeysMissing = "missing"
	KeysWrong   = "wrong"
)
