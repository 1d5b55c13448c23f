package main

import (
	"bytes"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/keylog"
)

// loadKeyLogs reads the key logs of --keylog into one Log. A malformed line
// costs a warning naming the first one, never the run; a file that cannot
// be read is an error.
func loadKeyLogs(paths []string, stderr io.Writer) (*keylog.Log, error) {
	g := new(keylog.Log)
	for _, p := range paths {
		st, err := g.Load(p)
		if err != nil {
			return nil, fmt.Errorf("--keylog: %w", err)
		}
		warnMalformed(stderr, st)
	}
	return g, nil
}

func warnMalformed(stderr io.Writer, st keylog.Stats) {
	if st.Malformed > 0 {
		complain(stderr, fmt.Sprintf("warning: %d malformed key log lines skipped, the first: %s", st.Malformed, st.FirstMalformed))
	}
}

// withSecrets adds the key logs a pcapng file carries in Decryption
// Secrets Blocks to g as the packets are read, so that the connections
// after a block find its keys; other sources are returned as they are.
func withSecrets(src capture.Source, g *keylog.Log, stderr io.Writer) capture.Source {
	ss, ok := src.(capture.SecretsSource)
	if !ok {
		return src
	}
	return &secretsSource{SecretsSource: ss, log: g, stderr: stderr}
}

// secretsSource is a SecretsSource that files its secrets in a Log before
// each packet is handed on. It keeps the optional methods of what it wraps,
// which the run asks for by type assertion.
type secretsSource struct {
	capture.SecretsSource
	log    *keylog.Log
	stderr io.Writer
	warned bool
}

func (s *secretsSource) Next() (capture.Packet, error) {
	p, err := s.SecretsSource.Next()
	for _, b := range s.Secrets() {
		st, _ := s.log.Parse("pcapng secrets block", bytes.NewReader(b))
		if !s.warned && st.Malformed > 0 {
			s.warned = true
			warnMalformed(s.stderr, st)
		}
	}
	return p, err
}

func (s *secretsSource) Position() (int64, int64) { return position(s.SecretsSource) }

func (s *secretsSource) Stream() bool { return asDecided(s.SecretsSource) }

// followedKeys is the key store of a live capture: key logs followed as
// they grow. A lookup reads what the files gained since the last poll
// first: a client may have logged a connection's secrets a moment ago,
// some of them after the others (OpenSSL logs its handshake secret for
// writing only once it has read the server's Finished).
type followedKeys struct {
	log       *keylog.Log
	followers []*keylog.Follower
}

func (k *followedKeys) Lookup(clientRandom [32]byte) (*keylog.Secrets, bool) {
	for _, f := range k.followers {
		f.Poll()
	}
	return k.log.Lookup(clientRandom)
}

// Len counts a followed key log as key material even while it is empty:
// it was given, and a connection's secrets may yet be written to it.
func (k *followedKeys) Len() int { return max(1, k.log.Len()) }

// keyMemory keeps the collector's soft limit above what the key logs
// hold. They are held whole, outside --max-buffer: a limit without them
// has the collector run ever more often as they grow (a 1.3 GB key log
// took a quarter more time). A live run's followed logs grow as it goes,
// so it counts them again each tick.
type keyMemory struct {
	log     *keylog.Log
	counted int64 // of log.Size, what the limit has been raised by
}

// count raises the soft limit by what the key logs gained since the last
// call. A nil keyMemory (GOMEMLIMIT set: the user's limit stands) does
// nothing.
func (k *keyMemory) count() {
	if k == nil {
		return
	}
	if size := k.log.Size(); size > k.counted {
		debug.SetMemoryLimit(debug.SetMemoryLimit(-1) + size - k.counted)
		k.counted = size
	}
}
