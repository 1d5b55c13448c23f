package tlscrypto

import (
	"testing"
)

// FuzzDecrypt feeds arbitrary records to a Decrypter of every suite shape
// and version: none may panic, and a failure is an error value. The first
// byte picks the suite and the second the version; the rest is the
// fragment. Keys are fixed, so only malformed-record paths are reached
// beyond the first checks, which is where panics would hide.
func FuzzDecrypt(f *testing.F) {
	f.Add([]byte{0, 0, 0x17, 0x03, 0x03})
	f.Add(append([]byte{2, 2}, make([]byte, 48)...))
	f.Add(append([]byte{9, 0}, make([]byte, 40)...))
	ids := []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305, 0xC02F, 0xCCA8, 0xC09C, 0xC0A0,
		0x002F, 0x003C, 0xC028, 0x000A, 0x0005, 0x0001, 0x003B, 0x00B1}
	versions := []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		s, err := LookupSuite(ids[int(data[0])%len(ids)])
		if err != nil {
			t.Fatal(err)
		}
		version := versions[int(data[1])%len(versions)]
		if version == VersionSSL30 && s.IsAEAD() {
			return // no AEAD before TLS 1.2
		}
		etm := data[1]&0x80 != 0
		frag := data[3:]
		var d *Decrypter
		if s.TLS13 {
			d, err = NewTLS13Decrypter(s, make([]byte, s.Hash.Size()))
		} else {
			ck, _, kerr := KeyBlock(version, s, make([]byte, 48), make([]byte, 32), make([]byte, 32))
			if kerr != nil {
				t.Fatal(kerr)
			}
			d, err = NewDecrypter(version, s, ck, etm)
		}
		if err != nil {
			t.Fatal(err)
		}
		hdr := []byte{data[2], 0x03, 0x03, byte(len(frag) >> 8), byte(len(frag))}
		for i := 0; i < 2; i++ {
			if plain, _, err := d.Decrypt(hdr, frag); err == nil && len(plain) > len(frag) {
				t.Fatalf("plaintext of %d bytes from %d", len(plain), len(frag))
			}
		}
		// A header that does not match the fragment is an error, not a panic.
		if _, _, err := d.Decrypt(hdr[:4], frag); err == nil {
			t.Fatal("short header accepted")
		}
	})
}
