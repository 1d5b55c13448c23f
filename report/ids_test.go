package report

import (
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hsdecode/hsdecode/flows"
)

// TestCommunityID checks the flow hash against the TCP rows of the
// Community ID specification's baselines (corelight/community-id-spec,
// baseline/baseline_deflt.json and baseline_seed1.json), each in both
// directions.
func TestCommunityID(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		seed uint16
		want string
	}{
		{"128.232.110.120:34855", "66.35.250.204:80", 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
		{"[2001:470:e5bf:dead:4957:2174:e82c:4887]:63943", "[2607:f8b0:400c:c03::1a]:25", 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
		{"128.232.110.120:34855", "66.35.250.204:80", 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
		{"[2001:470:e5bf:dead:4957:2174:e82c:4887]:63943", "[2607:f8b0:400c:c03::1a]:25", 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
		// An IPv4 peer of a dual-stack socket hashes as the IPv4 packets
		// that carried it.
		{"[::ffff:128.232.110.120]:34855", "[::ffff:66.35.250.204]:80", 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
	} {
		a, b := netip.MustParseAddrPort(tt.a), netip.MustParseAddrPort(tt.b)
		if got := CommunityID(a, b, tt.seed); got != tt.want {
			t.Errorf("CommunityID(%s, %s, seed %d) = %s, want %s", a, b, tt.seed, got, tt.want)
		}
		if got := CommunityID(b, a, tt.seed); got != tt.want {
			t.Errorf("CommunityID(%s, %s, seed %d) = %s, want %s", b, a, tt.seed, got, tt.want)
		}
	}
}

// TestUID: the uid is Zeek's shape, the same for the same 4-tuple and
// first packet, and another when either differs.
func TestUID(t *testing.T) {
	r := &flows.Result{Client: netip.MustParseAddrPort("10.0.0.1:40000"), Server: netip.MustParseAddrPort("10.0.0.2:443"),
		Start: time.Date(2026, 12, 3, 5, 0, 0, 1000, time.UTC)}
	uid := UID(r)
	if !regexp.MustCompile(`^C[0-9A-Za-z]{17}$`).MatchString(uid) {
		t.Fatalf("uid %q: not C and 17 base62 digits", uid)
	}
	same := *r
	same.End = same.End.Add(time.Hour)
	if got := UID(&same); got != uid {
		t.Errorf("the same connection, later end: %s, want %s", got, uid)
	}
	later, port, server := *r, *r, *r
	later.Start = later.Start.Add(time.Microsecond)
	port.Client = netip.MustParseAddrPort("10.0.0.1:40001")
	server.Server = netip.MustParseAddrPort("10.0.0.3:443")
	for name, got := range map[string]string{"a later first packet": UID(&later), "another port": UID(&port), "another server": UID(&server)} {
		if got == uid {
			t.Errorf("%s: the same uid %s", name, uid)
		}
	}
}

// base62 writes what big.Int's Text(62) does, padded to 17 digits.
func TestBase62(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	cases := [][2]uint64{{0, 0}, {0, 1}, {0, 61}, {0, 62}, {1<<32 - 1, 1<<64 - 1}, {1, 0}, {0, 1<<64 - 1}}
	for range 10000 {
		cases = append(cases, [2]uint64{uint64(rnd.Uint32()), rnd.Uint64()})
	}
	for _, c := range cases {
		var sum [12]byte
		binary.BigEndian.PutUint32(sum[:4], uint32(c[0]))
		binary.BigEndian.PutUint64(sum[4:], c[1])
		want := new(big.Int).SetBytes(sum[:]).Text(62)
		want = strings.Repeat("0", 17-len(want)) + want
		if got := base62(uint32(c[0]), c[1]); got != want {
			t.Fatalf("base62(%#x, %#x) = %q, want %q", c[0], c[1], got, want)
		}
	}
}
