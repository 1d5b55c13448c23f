package reassembly

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"

	"github.com/hsdecode/hsdecode/stream"
)

// TestStatsAddEveryField: Sharded's Stats are its workers' added up, so a
// count added to Stats and left out of add would read 0 with --workers.
func TestStatsAddEveryField(t *testing.T) {
	one := Stats{Skipped: map[string]int64{"not IP": 1}, Closed: map[stream.EndReason]int64{stream.EndFIN: 1}}
	v := reflect.ValueOf(&one).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Int64 {
			f.SetInt(1)
		}
	}
	sum := Stats{Skipped: map[string]int64{}, Closed: map[stream.EndReason]int64{}}
	sum.add(one)
	sum.add(one)
	s := reflect.ValueOf(sum)
	for i := range s.NumField() {
		name := s.Type().Field(i).Name
		switch f := s.Field(i); f.Kind() {
		case reflect.Int64:
			if f.Int() != 2 {
				t.Errorf("%s = %d after adding 1 twice", name, f.Int())
			}
		case reflect.Map:
			for _, k := range f.MapKeys() {
				if n := f.MapIndex(k).Int(); n != 2 {
					t.Errorf("%s[%v] = %d after adding 1 twice", name, k, n)
				}
			}
		default:
			t.Errorf("%s: a %s, which add does not know", name, f.Kind())
		}
	}
}

// TestShardedExpire: Expire, then Mark and EndBatch, closes idle
// connections and ends the waits after a RST on every worker while no
// packet comes, making each connection the calls Assembler.Expire makes
// on one (TestExpireWithoutPackets), and the workers hand over after it:
// a live capture's quiet interface with several workers.
func TestShardedExpire(t *testing.T) {
	o := Options{IdleTimeout: 10 * time.Second}
	ps := append(handshake(cli, srv, 1000, 5000), pkt{3, cli, srv, "PA", 1001, 5001, "idle"})
	ps = append(ps, append(handshake(cli6, srv6, 1000, 5000), pkt{3, srv6, cli6, "RA", 5001, 1001, ""})...)
	frames := ether(t, ps...)
	ci := func(f frame) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: base.Add(time.Duration(f.ms) * time.Millisecond), CaptureLength: len(f.data), Length: len(f.data)}
	}
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	steps := []int{500, 100, 1500, 9000, 12000}
	calls := func(rs ...*recorder) map[uint64][]string {
		m := make(map[uint64][]string)
		for _, r := range rs {
			for _, s := range r.streams {
				m[s.info.Seq] = slices.Clone(s.lines)
			}
		}
		return m
	}

	one := &recorder{t: t}
	a := NewAssembler(one, o)
	for _, f := range frames {
		a.Packet(f.link, f.data, ci(f))
	}
	var want []map[uint64][]string
	for _, ms := range steps {
		a.Expire(at(ms))
		want = append(want, calls(one))
	}
	if closes := strings.Count(fmt.Sprint(want[len(want)-1]), "close"); closes != 2 {
		t.Fatalf("one Assembler closed %d connections by wall time, want 2: %v", closes, want[len(want)-1])
	}

	for n := 1; n <= 3; n++ {
		rs := make([]*recorder, n)
		marks := make(chan struct{}, n)
		sh := NewSharded(n, func(i int) stream.Factory {
			rs[i] = &recorder{t: t}
			return rs[i]
		}, o, 0, func(int, uint64) { marks <- struct{}{} })
		for _, f := range frames {
			sh.Packet(f.link, f.data, ci(f))
		}
		sh.EndBatch(nil)
		for i, ms := range steps {
			sh.Expire(at(ms))
			sh.Mark()
			sh.EndBatch(nil)
			for range n {
				<-marks
			}
			if diff := cmp.Diff(want[i], calls(rs...)); diff != "" {
				t.Errorf("%d workers, Expire at %d ms: calls differ from one Assembler's (-one +sharded):\n%s", n, ms, diff)
			}
		}
		sh.Flush()
	}
}
