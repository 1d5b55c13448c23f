package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/keylog"
)

// clientRandom12 is the ClientHello random of testdata/pcaps/12-tls13-full.pcap,
// the one testdata/12-tls13-full.keys files secrets under.
const clientRandom12 = "bd7d72b2339885fde4310f1319875dded1f2c9e543c0470b3b87a96d5c69653c"

// readSecrets reads src to its end, calling Secrets before each packet as
// a caller handing packets on would, and returns the packets, the key
// logs, and for each key log the number of the first packet read after it
// was returned (0: before any).
func readSecrets(t *testing.T, src Source) (pkts []got, logs [][]byte, at []int) {
	t.Helper()
	ss, ok := src.(SecretsSource)
	if !ok {
		t.Fatalf("%T is not a SecretsSource", src)
	}
	for {
		for _, l := range ss.Secrets() {
			logs = append(logs, l)
			at = append(at, len(pkts))
		}
		p, err := src.Next()
		if err == io.EOF {
			return pkts, logs, at
		}
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, got{string(p.Data), p.CaptureInfo.Timestamp, p.CaptureInfo.Length, p.LinkType, p.CaptureInfo.InterfaceIndex})
	}
}

// A capture with its key log injected by editcap --inject-secrets: the
// key log comes out whole, the packets as they are in the capture.
func TestSecretsInjectedByEditcap(t *testing.T) {
	src, err := OpenFile("testdata/12-tls13-full-secrets.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pkts, logs, _ := readSecrets(t, src)
	want, err := os.ReadFile("testdata/12-tls13-full.keys")
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 1 || !bytes.Equal(logs[0], want) {
		t.Fatalf("key logs %q, want the one injected", logs)
	}
	orig, err := readAll(t, "../testdata/pcaps/12-tls13-full.pcap")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(orig, pkts); d != "" {
		t.Errorf("packets (-pcap +pcapng):\n%s", d)
	}

	// What the key log is for: the connection's secrets, found by its
	// client random.
	var g keylog.Log
	st, err := g.Parse("block 1", bytes.NewReader(logs[0]))
	if err != nil || st.Secrets != 5 || st.Malformed != 0 {
		t.Fatalf("parsing the block: %v, %v", st, err)
	}
	var cr [32]byte
	hex.Decode(cr[:], []byte(clientRandom12))
	if s, ok := g.Lookup(cr); !ok || s.Secret(keylog.LabelServerHandshakeTrafficSecret) == nil {
		t.Error("the capture's connection has no secrets")
	}
}

// A key log written among the packets, as a capture that learns keys as
// it goes writes it: it is returned before the packet after it, and the
// packets read back as they were written.
func TestSecretsMidFile(t *testing.T) {
	orig, err := readAll(t, "../testdata/pcaps/12-tls13-full.pcap")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile("testdata/12-tls13-full.keys")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.pcapng")
	w, err := CreateNgFile(path, layers.LinkTypeEthernet, 262144)
	if err != nil {
		t.Fatal(err)
	}
	const before = 3 // the TCP handshake: the ClientHello is next
	src, err := OpenFile("../testdata/pcaps/12-tls13-full.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for i := 0; ; i++ {
		if i == before {
			if err := w.WriteSecrets(keys); err != nil {
				t.Fatal(err)
			}
		}
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	back, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	pkts, logs, at := readSecrets(t, back)
	if len(logs) != 1 || !bytes.Equal(logs[0], keys) {
		t.Fatalf("key logs %q, want the one written", logs)
	}
	if at[0] > before {
		t.Errorf("key log returned after packet %d, written before packet %d", at[0], before+1)
	}
	if d := cmp.Diff(orig, pkts); d != "" {
		t.Errorf("packets (-written +read):\n%s", d)
	}
}

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// ngBlock is a pcapng block of typ and body, padded, in order.
func ngBlock(order byteOrder, typ uint32, body []byte) []byte {
	pad := (4 - len(body)%4) % 4
	n := uint32(12 + len(body) + pad)
	b := order.AppendUint32(nil, typ)
	b = order.AppendUint32(b, n)
	b = append(b, body...)
	b = append(b, make([]byte, pad)...)
	return order.AppendUint32(b, n)
}

// dsb is the body of a Decryption Secrets Block: type, length, secrets.
func dsb(order byteOrder, typ uint32, secretsLen uint32, secrets string) []byte {
	b := order.AppendUint32(nil, typ)
	b = order.AppendUint32(b, secretsLen)
	return append(b, secrets...)
}

// handNgFile is a pcapng file in order: a section, an Ethernet
// interface, then the blocks given, then a packet "after".
func handNgFile(order byteOrder, blocks ...[]byte) []byte {
	shb := order.AppendUint32(nil, byteOrderMagic)
	shb = order.AppendUint16(shb, 1)
	shb = order.AppendUint16(shb, 0)
	shb = order.AppendUint64(shb, ^uint64(0))
	idb := order.AppendUint16(nil, uint16(layers.LinkTypeEthernet))
	idb = order.AppendUint16(idb, 0)
	idb = order.AppendUint32(idb, 0)
	epb := order.AppendUint32(nil, 0) // interface
	epb = order.AppendUint64(epb, 0)  // timestamp
	epb = order.AppendUint32(epb, 5)
	epb = order.AppendUint32(epb, 5)
	epb = append(epb, "after"...)
	f := ngBlock(order, blockTypeSectionHeader, shb)
	f = append(f, ngBlock(order, 1, idb)...)
	for _, b := range blocks {
		f = append(f, b...)
	}
	return append(f, ngBlock(order, 6, epb)...)
}

// Decryption Secrets Blocks of either byte order; blocks of other secrets
// types are not returned, nor those whose lengths do not add up or that
// are too long (counted); the packet after them is read either way.
func TestSecretsBlocks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		order   byteOrder
		blocks  func(o byteOrder) [][]byte
		limit   int
		want    []string
		skipped int
	}{
		{
			name:  "big endian",
			order: binary.BigEndian,
			blocks: func(o byteOrder) [][]byte {
				return [][]byte{ngBlock(o, blockTypeDecryptionSecrets, dsb(o, SecretsTypeTLSKeyLog, 9, "CLIENT_RA"))}
			},
			want: []string{"CLIENT_RA"},
		},
		{
			name:  "other secrets types",
			order: binary.LittleEndian,
			blocks: func(o byteOrder) [][]byte {
				return [][]byte{
					ngBlock(o, blockTypeDecryptionSecrets, dsb(o, 0x5353484b, 3, "ssh")),
					ngBlock(o, blockTypeDecryptionSecrets, dsb(o, SecretsTypeTLSKeyLog, 4, "tls\n")),
					ngBlock(o, blockTypeDecryptionSecrets, dsb(o, 0x57474b4c, 2, "wg")),
				}
			},
			want: []string{"tls\n"},
		},
		{
			name:  "secrets longer than the block",
			order: binary.LittleEndian,
			blocks: func(o byteOrder) [][]byte {
				return [][]byte{
					ngBlock(o, blockTypeDecryptionSecrets, dsb(o, SecretsTypeTLSKeyLog, 40, "short")),
					ngBlock(o, blockTypeDecryptionSecrets, []byte{1, 2}),
					ngBlock(o, blockTypeDecryptionSecrets, dsb(o, SecretsTypeTLSKeyLog, 2, "ok")),
				}
			},
			want:    []string{"ok"},
			skipped: 2,
		},
		{
			name:  "over the limit",
			order: binary.LittleEndian,
			limit: 8,
			blocks: func(o byteOrder) [][]byte {
				return [][]byte{
					ngBlock(o, blockTypeDecryptionSecrets, dsb(o, SecretsTypeTLSKeyLog, 9, "123456789")),
					ngBlock(o, blockTypeDecryptionSecrets, dsb(o, SecretsTypeTLSKeyLog, 8, "12345678")),
				}
			},
			want:    []string{"12345678"},
			skipped: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := handNgFile(tc.order, tc.blocks(tc.order)...)
			limit := MaxSecretsLength
			if tc.limit > 0 {
				limit = tc.limit
			}
			// The scanner alone, read a byte at a time: every header
			// and body cut at every place.
			s := &secretsScanner{r: iotest.OneByteReader(bytes.NewReader(file)), limit: limit}
			if _, err := io.Copy(io.Discard, s); err != nil {
				t.Fatal(err)
			}
			var found []string
			for _, f := range s.found {
				found = append(found, string(f))
			}
			if !cmp.Equal(found, tc.want) || s.nSkip != tc.skipped || s.lost {
				t.Errorf("scanner found %q, skipped %d, lost %v; want %q, %d", found, s.nSkip, s.lost, tc.want, tc.skipped)
			}
			if tc.limit > 0 {
				return // OpenFile's limit is MaxSecretsLength
			}
			src, err := newSource("hand", nil, bufio.NewReader(bytes.NewReader(file)), false, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			pkts, logs, _ := readSecrets(t, src)
			if len(pkts) != 1 || pkts[0].Data != "after" || len(logs) != len(tc.want) {
				t.Errorf("read %v and %d key logs", pkts, len(logs))
			}
			if n := src.(SecretsSource).SkippedSecrets(); n != tc.skipped {
				t.Errorf("SkippedSecrets %d, want %d", n, tc.skipped)
			}
		})
	}
}
