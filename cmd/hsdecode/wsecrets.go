package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
)

// secretsSpool keeps, for -w with --keylog, the key log lines of every
// connection reported, in a temporary file rather than in memory: a day
// of capture has as many as it has connections.
type secretsSpool struct {
	keys flows.KeyStore
	f    *os.File
	bw   *bufio.Writer
	buf  []byte
	n    int64 // bytes spooled
}

func newSecretsSpool(keys flows.KeyStore) (*secretsSpool, error) {
	f, err := os.CreateTemp("", "hsdecode-secrets-*")
	if err != nil {
		return nil, fmt.Errorf("-w: keeping the key log lines: %w", err)
	}
	os.Remove(f.Name()) // gone once closed, whatever happens
	return &secretsSpool{keys: keys, f: f, bw: bufio.NewWriter(f)}, nil
}

// add spools the secrets of a reported connection, if the key log has
// them. A client logs them before its Finished, so they are there by the
// time its handshake is decided.
func (s *secretsSpool) add(r *flows.Result) error {
	if r.ClientHello == nil {
		return nil
	}
	sec, ok := s.keys.Lookup(r.ClientHello.Random)
	if !ok {
		return nil
	}
	s.buf = sec.AppendNSS(s.buf[:0])
	s.n += int64(len(s.buf))
	_, err := s.bw.Write(s.buf)
	return err
}

func (s *secretsSpool) Close() error { return s.f.Close() }

// secretsBlockMax bounds one Decryption Secrets Block: a reader holds a
// block whole.
const secretsBlockMax = 1 << 20

// embed rewrites the pcap file at path as pcapng whose first blocks hold
// the spooled secrets, as editcap --inject-secrets writes it: Wireshark
// and tshark look a session's keys up at its ServerHello, before which a
// client has logged none of them, so blocks written as the key log grew
// would come too late. A path that is not a regular file (a pipe) is left
// as it is.
func (s *secretsSpool) embed(path string, link layers.LinkType, snaplen int) error {
	if s.n == 0 {
		return nil
	}
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("-w: keeping the key log lines: %w", err)
	}
	src, err := capture.OpenFile(path)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp := path + ".hsdecode-tmp"
	w, err := capture.CreateNgFile(tmp, link, snaplen)
	if err != nil {
		return err
	}
	err = s.writeBlocks(w)
	for err == nil {
		var p capture.Packet
		if p, err = src.Next(); err == nil {
			err = w.Write(p)
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("-w: embedding the key log: %w", err)
	}
	return nil
}

// writeBlocks writes the spooled lines in blocks of whole lines.
func (s *secretsSpool) writeBlocks(w *capture.NgWriter) error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(s.f, 64<<10)
	var block []byte
	for {
		line, err := r.ReadSlice('\n')
		if len(block)+len(line) > secretsBlockMax && len(block) > 0 {
			if werr := w.WriteSecrets(block); werr != nil {
				return werr
			}
			block = block[:0]
		}
		block = append(block, line...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	if len(block) == 0 {
		return nil
	}
	return w.WriteSecrets(block)
}
