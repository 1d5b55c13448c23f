package reassembly

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestConnTable checks the table against a map over random puts, gets
// and deletions, with hashes drawn from a handful so that probes collide
// and wrap, and deletions shift entries back across the end.
func TestConnTable(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 1))
		var tab connTable
		want := map[connKey]*conn{}
		hashes := map[connKey]uint64{}
		keyOfN := func(i int) connKey {
			return keyOf(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1), srv, 0)
		}
		for op := range 20000 {
			k := keyOfN(r.IntN(200))
			h, ok := hashes[k]
			if !ok {
				h = r.Uint64N(8) << (seed * 8) // few homes, high and low bits
				hashes[k] = h
			}
			switch r.IntN(3) {
			case 0:
				if want[k] == nil {
					c := &conn{key: k}
					tab.put(c, h)
					want[k] = c
				}
			case 1:
				if c := want[k]; c != nil {
					tab.del(c, h)
					delete(want, k)
				}
			}
			if got := tab.get(k, h); got != want[k] {
				t.Fatalf("seed %d op %d: get %v = %p, want %p", seed, op, k, got, want[k])
			}
			if tab.n != len(want) {
				t.Fatalf("seed %d op %d: %d held, want %d", seed, op, tab.n, len(want))
			}
		}
		for k, c := range want {
			if got := tab.get(k, hashes[k]); got != c {
				t.Errorf("seed %d: %v lost", seed, k)
			}
		}
		n := 0
		for c := range tab.all {
			if want[c.key] != c {
				t.Errorf("seed %d: all gives %v, not held", seed, c.key)
			}
			n++
		}
		if n != len(want) {
			t.Errorf("seed %d: all gives %d, want %d", seed, n, len(want))
		}
	}
}

// BenchmarkConnLookup compares the table with a Go map on a connection of
// 10,000.
func BenchmarkConnLookup(b *testing.B) {
	var tab connTable
	m := map[connKey]*conn{}
	var keys []connKey
	for i := range 10000 {
		k := keyOf(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(i)), srv, 0)
		c := &conn{key: k, hash: hashOf(k)}
		tab.put(c, c.hash)
		m[k] = c
		keys = append(keys, k)
	}
	b.Run("table", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			k := keys[i%len(keys)]
			if tab.get(k, hashOf(k)) == nil {
				b.Fatal("lost")
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if m[keys[i%len(keys)]] == nil {
				b.Fatal("lost")
			}
		}
	})
}
