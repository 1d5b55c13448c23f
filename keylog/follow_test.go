package keylog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// The polls of a Follower, one by one: a file not there yet, a line
// written in two parts, a truncation, a replacement.
func TestFollowPolls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.log")
	var g Log
	f := newFollower(&g, path, time.Hour)
	found := func(cr string, l Label) bool {
		s, ok := g.Lookup(random(t, cr))
		return ok && s.Secret(l) != nil
	}

	f.poll()
	if !errors.Is(f.Err(), os.ErrNotExist) {
		t.Errorf("Err %v before the file exists, want ErrNotExist", f.Err())
	}

	chts := "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + cr13 + " " + s32 + "\n"
	shts := "SERVER_HANDSHAKE_TRAFFIC_SECRET " + cr13 + " " + s32 + "\n"
	appendFile(t, path, chts+shts[:40])
	f.poll()
	if f.Err() != nil || !found(cr13, LabelClientHandshakeTrafficSecret) {
		t.Fatalf("first line not read (Err %v)", f.Err())
	}
	if found(cr13, LabelServerHandshakeTrafficSecret) || f.Stats().Malformed != 0 {
		t.Fatalf("half a line read: %+v", f.Stats())
	}
	appendFile(t, path, shts[40:])
	f.poll()
	if !found(cr13, LabelServerHandshakeTrafficSecret) || f.Stats().Malformed != 0 {
		t.Fatalf("a line written in two parts not read: %+v", f.Stats())
	}

	// Truncated, then a shorter log written: read from its start.
	if err := os.WriteFile(path, []byte("CLIENT_RANDOM "+cr12+" "+ms48[:90]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.poll()
	st := f.Stats()
	if st.Malformed != 1 || st.FirstMalformed.Line != 1 {
		t.Fatalf("after truncation: %+v, want line 1 read, malformed", st)
	}
	appendFile(t, path, "CLIENT_RANDOM "+cr12+" "+ms48+"\n")
	f.poll()
	if !found(cr12, LabelClientRandom) {
		t.Fatal("line after truncation not read")
	}

	// Replaced by a rename: the old file's last line, unterminated, is
	// read with it, and the new file from its start.
	appendFile(t, path, "EXPORTER_SECRET "+cr12+" "+s32)
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte("EXPORTER_SECRET "+cr13+" "+s32+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	f.poll()
	if !found(cr12, LabelExporterSecret) || !found(cr13, LabelExporterSecret) {
		t.Fatalf("replaced file: old last line %v, new file %v", found(cr12, LabelExporterSecret), found(cr13, LabelExporterSecret))
	}
	f.drop(nil)
}

// A writer adds connections' secrets line by line, in pieces, while the
// Follower polls and readers look them up: every secret is found, and
// the race detector sees readers and the follower share the Log.
func TestFollowWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.log")
	var g Log
	f := newFollower(&g, path, time.Millisecond)
	go f.run()
	defer f.Close()

	const conns = 50
	randoms := make([][32]byte, conns)
	for i := range randoms {
		randoms[i] = random(t, fmt.Sprintf("%064x", i+1))
	}
	go func() {
		w, err := os.Create(path)
		if err != nil {
			return
		}
		defer w.Close()
		for i := range randoms {
			line := fmt.Sprintf("CLIENT_TRAFFIC_SECRET_0 %x %s\n", randoms[i], s32)
			w.WriteString(line[:50])
			w.WriteString(line[50:])
		}
	}()

	var wg sync.WaitGroup
	deadline := time.Now().Add(20 * time.Second)
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range randoms {
				for {
					if s, ok := g.Lookup(randoms[i]); ok && s.Secret(LabelClientTrafficSecret0) != nil {
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("connection %d never found: %v", i, f.Stats())
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	f.Close()
	if st := f.Stats(); st.Secrets != conns || st.Malformed != 0 {
		t.Errorf("stats %+v, want %d secrets", st, conns)
	}
}
