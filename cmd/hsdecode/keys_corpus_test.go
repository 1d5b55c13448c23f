package main

import (
	"testing"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
)

// TestKeyLogCorpus reads every corpus capture that has a key log (snet's
// decrypt_by_keylog, hotplace's, the Illustrated TLS captures, a pcapng
// with Decryption Secrets Blocks) with it: a connection whose client
// random the keys hold is decrypted (keys found, none of SSL 3.0, which
// hsdecode does not decrypt), every Finished it has is read and verified
// (no bad_finished nor any other violation), and one whose client random
// they lack says keys missing.
func TestKeyLogCorpus(t *testing.T) {
	needCorpus(t, tsharkCorpusDir)
	caps, err := corpusKeyCaptures(tsharkCorpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) == 0 {
		t.Fatalf("no capture with a key log under %s", tsharkCorpusDir)
	}
	var conns, found, verified int
	for _, c := range caps {
		t.Run(c.name, func(t *testing.T) {
			an, g, err := analyzeWithKeys(c, false)
			if err != nil {
				t.Fatal(err)
			}
			for i := range an.results {
				r := &an.results[i]
				if r.ClientHello == nil || r.Version == 0 {
					continue // no handshake to decrypt
				}
				conns++
				_, have := g.Lookup(r.ClientHello.Random)
				want := flows.KeysMissing
				if have {
					want = flows.KeysFound
				}
				if r.Keys != want {
					t.Errorf("%s -> %s %s: keys %q, want %q", r.Client, r.Server, r.Version, r.Keys, want)
				}
				if r.Keys != flows.KeysFound {
					continue
				}
				found++
				for _, v := range r.Violations {
					t.Errorf("%s -> %s: violation %s from %s: %s", r.Client, r.Server, v.Code, v.From, v.Detail)
				}
				n := 0
				for _, m := range r.Messages {
					if m.Type != decode.HandshakeFinished.String() {
						continue
					}
					n++
					if m.Encrypted {
						t.Errorf("%s -> %s: the %s's finished was not decrypted", r.Client, r.Server, m.From)
					}
				}
				if r.Outcome == flows.OutcomeEstablished && n != 2 {
					t.Errorf("%s -> %s: established with %d finished, want 2", r.Client, r.Server, n)
				}
				verified += n
			}
		})
	}
	t.Logf("%d captures, %d connections: keys found for %d, %d Finished decrypted and verified", len(caps), conns, found, verified)
}
