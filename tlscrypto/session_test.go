package tlscrypto

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// record is one TLS record of a captured direction.
type record struct {
	typ      uint8
	header   []byte
	fragment []byte
}

// splitRecords cuts a direction's bytes into records; a partial record at
// the end (a write the peer never read) is dropped.
func splitRecords(b []byte) []record {
	var recs []record
	for len(b) >= 5 {
		n := 5 + (int(b[3])<<8 | int(b[4]))
		if n > len(b) {
			break
		}
		recs = append(recs, record{b[0], b[:5], b[5:n]})
		b = b[n:]
	}
	return recs
}

// session is a captured connection: both directions' bytes and the client's
// key log (NSS format).
type session struct {
	version      uint16
	suite        uint16
	keyLog       string
	client       []byte
	server       []byte
	etm          bool
	wantClient   string // application data the client sent
	wantServer   string // and the server
	wantUpdates  int    // KeyUpdate messages in all
	gotUpdates   int
	finishedSeen int
}

func (s *session) secrets(t *testing.T, clientRandom []byte) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	sc := bufio.NewScanner(strings.NewReader(s.keyLog))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[1] != hex.EncodeToString(clientRandom) {
			continue
		}
		b, err := hex.DecodeString(f[2])
		if err != nil {
			t.Fatal(err)
		}
		out[f[0]] = b
	}
	if len(out) == 0 {
		t.Fatalf("no key log line for client random %x", clientRandom)
	}
	return out
}

// verifySession decrypts every protected record of both directions,
// verifies both Finished, checks that a flipped bit in each side's first
// protected record is a bad_record_mac, and compares the application data.
func verifySession(t *testing.T, sess *session) {
	t.Helper()
	s, err := LookupSuite(sess.suite)
	if err != nil {
		t.Fatal(err)
	}
	crecs, srecs := splitRecords(sess.client), splitRecords(sess.server)
	if len(crecs) == 0 || len(srecs) == 0 || crecs[0].typ != 22 || srecs[0].typ != 22 {
		t.Fatal("no hello records")
	}
	ch := crecs[0].fragment
	clientRandom := ch[6:38]
	sec := sess.secrets(t, clientRandom)
	var gotClient, gotServer bytes.Buffer
	if sess.version == VersionTLS13 {
		verify13(t, sess, s, sec, crecs, srecs, &gotClient, &gotServer)
	} else {
		verify12(t, sess, s, sec, crecs, srecs, &gotClient, &gotServer)
	}
	if sess.finishedSeen != 2 {
		t.Errorf("%d Finished verified, want 2", sess.finishedSeen)
	}
	if gotClient.String() != sess.wantClient || gotServer.String() != sess.wantServer {
		t.Errorf("application data: client %q, server %q; want %q, %q",
			gotClient.String(), gotServer.String(), sess.wantClient, sess.wantServer)
	}
	if sess.gotUpdates != sess.wantUpdates {
		t.Errorf("%d KeyUpdates followed, want %d", sess.gotUpdates, sess.wantUpdates)
	}
}

// expectFlipFails decrypts a copy of rec with one bit of its last byte
// flipped, with a fresh Decrypter from mk.
func expectFlipFails(t *testing.T, what string, rec record, mk func() *Decrypter) {
	t.Helper()
	bad := append([]byte(nil), rec.fragment...)
	bad[len(bad)-1] ^= 0x80
	if _, _, err := mk().Decrypt(rec.header, bad); !errors.Is(err, ErrBadRecordMAC) {
		t.Errorf("%s with a flipped bit: %v, want ErrBadRecordMAC", what, err)
	}
}

func mustHandshake(t *testing.T, plain []byte) [][]byte {
	t.Helper()
	return splitHandshake(t, plain)
}

func verify12(t *testing.T, sess *session, s *Suite, sec map[string][]byte, crecs, srecs []record, gotClient, gotServer *bytes.Buffer) {
	master := sec["CLIENT_RANDOM"]
	if master == nil {
		t.Fatal("no CLIENT_RANDOM in the key log")
	}
	sh := splitHandshake(t, srecs[0].fragment)[0]
	clientRandom, serverRandom := crecs[0].fragment[6:38], sh[6:38]
	ck, sk, err := KeyBlock(sess.version, s, master, clientRandom, serverRandom)
	if err != nil {
		t.Fatal(err)
	}
	newDec := func(k DirectionKeys) func() *Decrypter {
		return func() *Decrypter {
			d, err := NewDecrypter(sess.version, s, k, sess.etm)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	// Clear handshake bytes before each side's ChangeCipherSpec.
	clear := func(recs []record) ([]byte, []record) {
		var b []byte
		for i, r := range recs {
			if r.typ == 20 {
				return b, recs[i+1:]
			}
			b = append(b, r.fragment...)
		}
		t.Fatal("no ChangeCipherSpec")
		return nil, nil
	}
	cClear, cEnc := clear(crecs)
	sClear, sEnc := clear(srecs)
	cMsgs, sMsgs := splitHandshake(t, cClear), splitHandshake(t, sClear)

	// A full handshake: ClientHello, the server's flight, the client's
	// second flight, then the client's Finished and the server's.
	var tr Transcript
	tr.Write(cMsgs[0])
	for _, m := range sMsgs {
		tr.Write(m)
	}
	for _, m := range cMsgs[1:] {
		tr.Write(m)
	}
	if err := tr.SetHash(FinishedHash(sess.version, s)); err != nil {
		t.Fatal(err)
	}
	expectFlipFails(t, "client Finished", cEnc[0], newDec(ck))
	expectFlipFails(t, "server Finished", sEnc[0], newDec(sk))

	checkFinished := func(d *Decrypter, r record, fromClient bool) {
		plain, typ, err := d.Decrypt(r.header, r.fragment)
		if err != nil || typ != 22 {
			t.Fatalf("Finished (client %v): type %d, %v", fromClient, typ, err)
		}
		fin := splitHandshake(t, plain)[0]
		want, err := FinishedVerifyData(sess.version, s, master, fromClient, tr.Sum())
		if err != nil {
			t.Fatal(err)
		}
		if fin[0] != 20 || !bytes.Equal(fin[4:], want) {
			t.Errorf("Finished (client %v) = %x, computed %x", fromClient, fin, want)
		} else {
			sess.finishedSeen++
		}
		tr.Write(fin)
	}
	cd, sd := newDec(ck)(), newDec(sk)()
	checkFinished(cd, cEnc[0], true)
	checkFinished(sd, sEnc[0], false)
	for _, side := range []struct {
		d    *Decrypter
		recs []record
		out  *bytes.Buffer
	}{{cd, cEnc[1:], gotClient}, {sd, sEnc[1:], gotServer}} {
		for i, r := range side.recs {
			plain, typ, err := side.d.Decrypt(r.header, r.fragment)
			if err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if typ == 23 {
				side.out.Write(plain)
			}
		}
	}
}

func verify13(t *testing.T, sess *session, s *Suite, sec map[string][]byte, crecs, srecs []record, gotClient, gotServer *bytes.Buffer) {
	var tr Transcript
	tr.Write(splitHandshake(t, crecs[0].fragment)[0])
	tr.Write(splitHandshake(t, srecs[0].fragment)[0])
	if err := tr.SetHash(s.Hash); err != nil {
		t.Fatal(err)
	}
	newDec := func(label string) func() *Decrypter {
		return func() *Decrypter {
			d, err := NewTLS13Decrypter(s, sec[label])
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			return d
		}
	}
	// protected drops the hellos and the compatibility ChangeCipherSpec
	// records (RFC 8446, Appendix D.4).
	protected := func(recs []record) []record {
		var out []record
		for _, r := range recs[1:] {
			if r.typ != 20 {
				out = append(out, r)
			}
		}
		return out
	}
	type side struct {
		name     string
		hs, app  string
		recs     []record
		out      *bytes.Buffer
		d        *Decrypter
		finished bool
	}
	sides := []*side{
		{name: "server", hs: "SERVER_HANDSHAKE_TRAFFIC_SECRET", app: "SERVER_TRAFFIC_SECRET_0", recs: protected(srecs), out: gotServer},
		{name: "client", hs: "CLIENT_HANDSHAKE_TRAFFIC_SECRET", app: "CLIENT_TRAFFIC_SECRET_0", recs: protected(crecs), out: gotClient},
	}
	// The server's handshake flight, then the client's, feed one transcript.
	for _, sd := range sides {
		expectFlipFails(t, sd.name+" first protected record", sd.recs[0], newDec(sd.hs))
		sd.d = newDec(sd.hs)()
		for i, r := range sd.recs {
			plain, typ, err := sd.d.Decrypt(r.header, r.fragment)
			if err != nil {
				t.Fatalf("%s record %d: %v", sd.name, i, err)
			}
			switch {
			case typ == 22 && !sd.finished:
				for _, m := range mustHandshake(t, plain) {
					if m[0] == 20 {
						want := FinishedVerifyData13(s.Hash, sec[sd.hs], tr.Sum())
						if !bytes.Equal(m[4:], want) {
							t.Errorf("%s Finished = %x, computed %x", sd.name, m[4:], want)
						} else {
							sess.finishedSeen++
						}
						sd.finished = true
					}
					tr.Write(m)
				}
				if sd.finished {
					sd.d = newDec(sd.app)()
				}
			case typ == 22:
				for _, m := range mustHandshake(t, plain) {
					// KeyUpdate (RFC 8446, Section 4.6.3): the next record
					// uses the next secret.
					if m[0] == 24 {
						if err := sd.d.KeyUpdate(); err != nil {
							t.Fatal(err)
						}
						sess.gotUpdates++
					}
				}
			case typ == 23:
				sd.out.Write(plain)
			}
		}
	}
}

func (s *session) String() string { return fmt.Sprintf("%04x/%04x", s.version, s.suite) }
