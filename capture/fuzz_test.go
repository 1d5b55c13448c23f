package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzSource: any file content is either read packet by packet to a clean
// end or gives an error; no panic, and no packet larger than the cap a
// lying header could ask for, nor key log longer than the block it came
// in. Seeds in testdata/fuzz/FuzzSource are small pcap and pcapng files,
// and one with Decryption Secrets Blocks added here.
func FuzzSource(f *testing.F) {
	le := binary.LittleEndian
	f.Add(handNgFile(le,
		ngBlock(le, blockTypeDecryptionSecrets, dsb(le, SecretsTypeTLSKeyLog, 4, "tls\n")),
		ngBlock(le, blockTypeDecryptionSecrets, dsb(le, 0x5353484b, 3, "ssh"))))
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := newSource("fuzz", nil, bufio.NewReader(bytes.NewReader(data)), len(data)%2 == 1, FileOptions{})
		if err != nil {
			return
		}
		for i := 0; i < 1<<16; i++ {
			p, err := src.Next()
			if err != nil {
				return
			}
			if len(p.Data) > MaxCaptureLength {
				t.Fatalf("packet of %d bytes", len(p.Data))
			}
			if ss, ok := src.(SecretsSource); ok {
				for _, l := range ss.Secrets() {
					if len(l) > len(data) {
						t.Fatalf("key log of %d bytes from %d bytes of file", len(l), len(data))
					}
				}
			}
		}
	})
}

// FuzzCompressed: any bytes behind a compression's magic number are read
// to a clean end or to an error, within bounded memory (MaxZstdWindow),
// with no panic; a capture is decompressed once only. Seeds in
// testdata/fuzz/FuzzCompressed are testdata/pcaps/08-version-mismatch.pcap
// as the gzip -9n, zstd -19, xz, lz4 and lz4 -l tools write it.
func FuzzCompressed(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := newSource("fuzz", nil, bufio.NewReader(bytes.NewReader(data)), false, FileOptions{})
		if err != nil {
			return
		}
		defer src.Close()
		for i := 0; i < 1<<16; i++ {
			p, err := src.Next()
			if err != nil {
				return
			}
			if len(p.Data) > MaxCaptureLength {
				t.Fatalf("packet of %d bytes", len(p.Data))
			}
		}
	})
}
