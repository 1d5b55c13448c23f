package keylog

import (
	"bytes"
	"strconv"
	"sync"
)

// Label is the first field of a key log line: which secret it holds.
type Label uint8

// Labels of the NSS key log format
// (https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/).
const (
	LabelClientRandom                 Label = iota // CLIENT_RANDOM
	LabelClientEarlyTrafficSecret                  // CLIENT_EARLY_TRAFFIC_SECRET
	LabelClientHandshakeTrafficSecret              // CLIENT_HANDSHAKE_TRAFFIC_SECRET
	LabelServerHandshakeTrafficSecret              // SERVER_HANDSHAKE_TRAFFIC_SECRET
	LabelClientTrafficSecret0                      // CLIENT_TRAFFIC_SECRET_0
	LabelServerTrafficSecret0                      // SERVER_TRAFFIC_SECRET_0
	LabelEarlyExporterSecret                       // EARLY_EXPORTER_SECRET
	LabelExporterSecret                            // EXPORTER_SECRET
	numLabels
)

// labelNames are the labels as a key log spells them, indexed by Label.
var labelNames = [numLabels]string{
	"CLIENT_RANDOM",
	"CLIENT_EARLY_TRAFFIC_SECRET",
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	"SERVER_HANDSHAKE_TRAFFIC_SECRET",
	"CLIENT_TRAFFIC_SECRET_0",
	"SERVER_TRAFFIC_SECRET_0",
	"EARLY_EXPORTER_SECRET",
	"EXPORTER_SECRET",
}

func (l Label) String() string {
	if l < numLabels {
		return labelNames[l]
	}
	return "Label(" + strconv.Itoa(int(l)) + ")"
}

// MaxSecretLength is the longest secret a key log line carries: the TLS
// 1.2 master secret, or a TLS 1.3 secret of a SHA-384 suite.
const MaxSecretLength = 48

// Secrets is what a Log knows of one connection, found by its client
// random. It is a copy: a Log adding secrets later does not change it.
type Secrets struct {
	ClientRandom [32]byte
	have         uint8 // a bit per Label
	long         uint8 // a bit per Label: 48 bytes, not 32
	secrets      [numLabels][MaxSecretLength]byte
}

// Secret returns the secret of label l, nil if the log has none. The
// master secret (LabelClientRandom) is 48 bytes; a TLS 1.3 secret is 32
// or 48, the length of the hash of the connection's cipher suite. The
// slice points into s.
func (s *Secrets) Secret(l Label) []byte {
	if s == nil || l >= numLabels || s.have&(1<<l) == 0 {
		return nil
	}
	return s.secrets[l][:secretLen(s.long, l):secretLen(s.long, l)]
}

func secretLen(long uint8, l Label) int {
	if long&(1<<l) != 0 {
		return 48
	}
	return 32
}

// Log is a set of secrets indexed by client random. The zero Log is empty
// and ready to use. Its methods are safe for concurrent use.
type Log struct {
	mu    sync.RWMutex
	index map[[32]byte]entry
	// Secrets are kept in chunks rather than in each entry: a TLS 1.2
	// connection has one of eight possible secrets, and an entry with
	// room for all eight would cost seven times what it holds.
	chunks [][]byte
}

// entry locates the secrets of one client random in the Log's chunks.
type entry struct {
	have uint8 // a bit per Label
	long uint8 // a bit per Label: 48 bytes, not 32
	at   [numLabels]uint32
}

// chunkBits sizes the chunks secrets are kept in: an offset is a chunk
// number above chunkBits bits of position in the chunk. No secret spans
// two chunks.
const (
	chunkBits = 16
	chunkSize = 1 << chunkBits
	maxChunks = 1 << (32 - chunkBits)
)

// Lookup returns a copy of the secrets logged for the connection whose
// ClientHello carried clientRandom.
func (g *Log) Lookup(clientRandom [32]byte) (*Secrets, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	e, ok := g.index[clientRandom]
	if !ok {
		return nil, false
	}
	s := &Secrets{ClientRandom: clientRandom, have: e.have, long: e.long}
	for l := Label(0); l < numLabels; l++ {
		if e.have&(1<<l) != 0 {
			copy(s.secrets[l][:], g.secret(e, l))
		}
	}
	return s, true
}

// Len returns the number of connections the Log has secrets for.
func (g *Log) Len() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.index)
}

// indexBytes is what a client random costs in the Log's index at most: a
// map slot of its 32 bytes and an entry (36) is 69 bytes with its control
// byte, and a Go map just grown is 7/16 full.
const indexBytes = 160

// Size returns about the most memory the Log holds: its chunks of secrets
// and its index (144 bytes a client random measured on a 15 MB key log).
func (g *Log) Size() int64 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return int64(len(g.chunks))*chunkSize + int64(len(g.index))*indexBytes
}

// secret returns where the secret of label l lies; e must have one.
func (g *Log) secret(e entry, l Label) []byte {
	n := secretLen(e.long, l)
	at := e.at[l]
	pos := int(at & (chunkSize - 1))
	return g.chunks[at>>chunkBits][pos : pos+n : pos+n]
}

// addResult says what add did with a secret.
type addResult uint8

const (
	added     addResult = iota
	duplicate           // the same secret was there already
	replaced            // another secret was there: the new one wins
	full                // there is no room left for secrets
)

// add files secret under clientRandom and label l. The caller holds g.mu
// for writing; secret is 32 or 48 bytes.
func (g *Log) add(clientRandom *[32]byte, l Label, secret []byte) addResult {
	if g.index == nil {
		g.index = make(map[[32]byte]entry)
	}
	e := g.index[*clientRandom]
	bit := uint8(1) << l
	long := len(secret) == 48
	res := added
	if e.have&bit != 0 {
		old := g.secret(e, l)
		if bytes.Equal(old, secret) {
			return duplicate
		}
		res = replaced
		if len(old) == len(secret) {
			// Readers copy under the read lock, so overwriting in
			// place under the write lock is safe.
			copy(old, secret)
			return res
		}
	}
	at, ok := g.alloc(len(secret))
	if !ok {
		return full
	}
	e.at[l] = at
	e.have |= bit
	if long {
		e.long |= bit
	} else {
		e.long &^= bit
	}
	g.index[*clientRandom] = e
	copy(g.secret(e, l), secret)
	return res
}

// alloc returns the offset of n bytes of room in the last chunk, or in a
// new one.
func (g *Log) alloc(n int) (uint32, bool) {
	last := len(g.chunks) - 1
	if last < 0 || len(g.chunks[last])+n > chunkSize {
		if len(g.chunks) == maxChunks {
			return 0, false
		}
		g.chunks = append(g.chunks, make([]byte, 0, chunkSize))
		last++
	}
	c := g.chunks[last]
	at := uint32(last)<<chunkBits | uint32(len(c))
	g.chunks[last] = c[:len(c)+n]
	return at, true
}
