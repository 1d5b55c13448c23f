//go:build cgo

package capture

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CI runs as root); skipped")
	}
}

// TestLiveLoopback captures a TCP exchange on lo through a filter for its
// port, then checks the counters and that Stop ends a blocked Next.
func TestLiveLoopback(t *testing.T) {
	needRoot(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	// Reading starts only after the exchange, so the kernel buffer must hold
	// all of it.
	l, err := OpenLive("lo", LiveOptions{Promisc: true, Filter: fmt.Sprintf("tcp port %d", port), BufferSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if info := l.Info(); info.Interface != "lo" || info.LinkType != layers.LinkTypeEthernet || info.LinkName != "EN10MB" || info.SnapLen != DefaultSnapLen {
		t.Errorf("info %+v", info)
	}

	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	// Traffic on another port must not pass the filter.
	other, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if c, err := net.Dial("tcp", other.Addr().String()); err == nil {
		c.Close()
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("hello"))
	c.Read(make([]byte, 5))
	c.Close()

	// SYN, SYN-ACK, ACK, data, ACK, echo, ACK, FIN... at least 8 packets.
	type result struct {
		n       int
		payload bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for r.n < 8 {
			p, err := l.Next()
			if err != nil {
				r.err = err
				break
			}
			if p.CaptureInfo.CaptureLength != len(p.Data) {
				r.err = fmt.Errorf("capture length %d, data %d", p.CaptureInfo.CaptureLength, len(p.Data))
				break
			}
			pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.Default)
			if tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP); !ok || int(tcp.SrcPort) != port && int(tcp.DstPort) != port {
				r.err = fmt.Errorf("a packet the filter should have kept out: %v", pkt)
				break
			}
			if strings.Contains(string(p.Data), "hello") {
				r.payload = true
			}
			r.n++
		}
		done <- r
	}()
	select {
	case r := <-done:
		if r.err != nil || !r.payload {
			t.Fatalf("read %d packets, payload seen %v, error %v", r.n, r.payload, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no packets within 10s")
	}
	st, err := l.Stats()
	if err != nil || st.Received < 8 || st.Dropped != 0 {
		t.Errorf("stats %+v %v", st, err)
	}

	// Stop ends a Next that waits for a packet that never comes.
	ended := make(chan error, 1)
	go func() {
		_, err := l.Next()
		for err == nil {
			_, err = l.Next() // stragglers of the close
		}
		ended <- err
	}()
	time.Sleep(200 * time.Millisecond)
	l.Stop()
	select {
	case err := <-ended:
		if err != io.EOF {
			t.Errorf("Next after Stop: %v, want io.EOF", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Next still blocked 2s after Stop")
	}
}

func TestLiveErrors(t *testing.T) {
	needRoot(t)
	_, err := OpenLive("nosuchif0", LiveOptions{})
	if !errors.Is(err, ErrNoSuchInterface) || !strings.Contains(err.Error(), "lo") || !strings.Contains(err.Error(), "nosuchif0") {
		t.Errorf("unknown interface: %v", err)
	}
	_, err = OpenLive("lo", LiveOptions{Filter: "tcp prot 443"})
	if !errors.Is(err, ErrFilter) || !strings.Contains(err.Error(), "tcp prot 443") {
		t.Errorf("bad filter: %v", err)
	}
	l, err := OpenLive("any", LiveOptions{Promisc: true, SnapLen: 1000})
	if err != nil {
		t.Fatalf("any: %v", err)
	}
	if info := l.Info(); info.SnapLen != 1000 {
		t.Errorf("any: %+v", info)
	}
	l.Close()
}

func TestInterfaces(t *testing.T) {
	ifs, err := Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Name == "lo" {
			if !i.Loopback || !i.Up {
				t.Errorf("lo: %+v", i)
			}
			return
		}
	}
	t.Errorf("lo not among %+v", ifs)
}
