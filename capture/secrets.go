package capture

import (
	"encoding/binary"
	"io"
)

// pcapng block and secrets types (draft-ietf-opsawg-pcapng, sections 4.1
// and 4.7).
const (
	blockTypeSectionHeader     = 0x0a0d0d0a // the same in either byte order
	blockTypeDecryptionSecrets = 0x0000000a
	byteOrderMagic             = 0x1a2b3c4d
	// SecretsTypeTLSKeyLog is the Decryption Secrets Block type of NSS
	// key log text ("TLSK"), what editcap --inject-secrets tls writes.
	SecretsTypeTLSKeyLog = 0x544c534b
)

// MaxSecretsLength bounds the key log a Decryption Secrets Block may
// carry: 64 MiB, some 80 000 TLS 1.3 connections' keys or 370 000 TLS 1.2
// ones. A longer block is skipped and counted rather than held whole.
const MaxSecretsLength = 64 << 20

// SecretsSource is a Source whose input can carry key material: a pcapng
// file, whose Decryption Secrets Blocks may come before its packets
// (editcap --inject-secrets puts them there) or among them.
type SecretsSource interface {
	Source
	// Secrets returns the TLS key logs (NSS key log text) of the
	// Decryption Secrets Blocks read since the last call, in file order.
	// A block is returned before, or with, the packets after it: Secrets
	// called before each packet is handed on finds the keys it needs.
	// Blocks of other secrets types (SSH, WireGuard) are not returned.
	// The slices are the caller's.
	Secrets() [][]byte
	// SkippedSecrets counts the Decryption Secrets Blocks not returned
	// because they are longer than MaxSecretsLength or their lengths do
	// not add up.
	SkippedSecrets() int
}

// secretsScanner passes a pcapng file through, and as it does follows its
// blocks to collect its Decryption Secrets Blocks: pcapgo reads them (in
// readPacketHeader) only to discard them. It reads ahead of pcapgo, so a
// block's secrets are there before the packets after it are parsed. When
// the blocks' lengths stop making sense it stops looking, and leaves the
// error to pcapgo.
type secretsScanner struct {
	r     io.Reader
	limit int // MaxSecretsLength, smaller in tests

	order binary.ByteOrder // of the current section; nil before one
	hdr   [12]byte         // the block header being read
	nhdr  int
	left  uint32 // bytes of the current block's body yet to pass
	keep  bool   // the current block is a DSB being collected
	body  []byte
	lost  bool
	found [][]byte
	nSkip int
}

func (s *secretsScanner) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.scan(p[:n])
	return n, err
}

func (s *secretsScanner) scan(b []byte) {
	for len(b) > 0 && !s.lost {
		if s.left > 0 {
			k := s.left
			if uint64(len(b)) < uint64(k) {
				k = uint32(len(b))
			}
			if s.keep {
				s.body = append(s.body, b[:k]...)
			}
			s.left -= k
			b = b[k:]
			if s.left == 0 && s.keep {
				s.endSecrets()
			}
			continue
		}
		k := copy(s.hdr[s.nhdr:s.headerLen()], b)
		s.nhdr += k
		b = b[k:]
		if s.nhdr == s.headerLen() {
			s.startBlock()
		}
	}
}

// headerLen is the length of the header of the block being read: a
// section header's byte-order magic is read with it, to know the order
// of its length.
func (s *secretsScanner) headerLen() int {
	if s.nhdr >= 4 && binary.LittleEndian.Uint32(s.hdr[:4]) == blockTypeSectionHeader {
		return 12
	}
	return 8
}

// startBlock reads the header of a block: its type and length.
func (s *secretsScanner) startBlock() {
	hdrLen := uint32(s.nhdr)
	s.nhdr = 0
	if hdrLen == 12 {
		switch {
		case binary.LittleEndian.Uint32(s.hdr[8:12]) == byteOrderMagic:
			s.order = binary.LittleEndian
		case binary.BigEndian.Uint32(s.hdr[8:12]) == byteOrderMagic:
			s.order = binary.BigEndian
		default:
			s.lost = true
			return
		}
	}
	if s.order == nil {
		s.lost = true
		return
	}
	// Every block is at least a header and a trailing length, in
	// multiples of 4 bytes (section 3.1).
	length := s.order.Uint32(s.hdr[4:8])
	if length < hdrLen+4 || length%4 != 0 {
		s.lost = true
		return
	}
	s.left = length - hdrLen
	if hdrLen == 8 && s.order.Uint32(s.hdr[:4]) == blockTypeDecryptionSecrets {
		// Secrets type and length, the secrets, the trailing length.
		if uint64(s.left) > uint64(s.limit)+12+3 {
			s.nSkip++
			return
		}
		s.keep = true
	}
}

// endSecrets reads a Decryption Secrets Block collected whole (section
// 4.7): secrets type, secrets length, the secrets, padding, options.
func (s *secretsScanner) endSecrets() {
	body := s.body
	s.body, s.keep = nil, false
	if len(body) < 12 {
		s.nSkip++
		return
	}
	typ, n := s.order.Uint32(body[0:4]), s.order.Uint32(body[4:8])
	if uint64(n) > uint64(len(body)-12) {
		s.nSkip++
		return
	}
	if typ == SecretsTypeTLSKeyLog {
		s.found = append(s.found, body[8:8+n:8+n])
	}
}

// Secrets implements SecretsSource.
func (s *ngSource) Secrets() [][]byte {
	found := s.scan.found
	s.scan.found = nil
	return found
}

// SkippedSecrets implements SecretsSource.
func (s *ngSource) SkippedSecrets() int { return s.scan.nSkip }
