package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
)

// rebindClient echoes a line, then moves to a new source port as a NAT
// that rebinds does (rebinder), echoes another line over the new path and
// closes. quic-go keeps its connection IDs, as the move is not its doing;
// the server sees the same Destination Connection ID from a new address
// and validates the path (RFC 9000, 9.3).
func rebindClient(ctx context.Context, server net.Addr, tc *tls.Config, qc *quic.Config) error {
	rb, err := newRebinder()
	if err != nil {
		return err
	}
	// A Transport of its own, not quic.Dial's single-use one, so that the
	// client chooses connection IDs of 8 bytes (the server's are 4), and
	// the capture has both lengths.
	tr := &quic.Transport{Conn: rb, ConnectionIDLength: 8}
	defer tr.Close()
	conn, s, err := dialHello(ctx, tr, server, tc, qc)
	if err != nil {
		return err
	}
	from := rb.LocalAddr()
	if err := rb.rebind(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "quicpeer: rebind: moved from %v to %v\n", from, rb.LocalAddr())
	return afterMove(conn, s)
}

// dialHello connects over tr, opens the server's echo stream and echoes
// a line on it: the part of the two moves before the client moves.
func dialHello(ctx context.Context, tr *quic.Transport, server net.Addr, tc *tls.Config, qc *quic.Config) (*quic.Conn, *quic.Stream, error) {
	conn, err := tr.Dial(ctx, server, tc, qc)
	if err != nil {
		return nil, nil, err
	}
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := echo(s, "hello\n"); err != nil {
		return nil, nil, err
	}
	return conn, s, nil
}

// afterMove echoes a line on the new path, ends the stream, and closes
// the connection once the server has had time to validate the path.
func afterMove(conn *quic.Conn, s *quic.Stream) error {
	if err := echo(s, "again\n"); err != nil {
		return err
	}
	s.Close()
	if _, err := io.ReadAll(s); err != nil {
		return err
	}
	// Time for the server's path validation to finish on the new path.
	time.Sleep(300 * time.Millisecond)
	return conn.CloseWithError(0, "")
}

// echo writes a line on the server's echo stream and reads it back.
func echo(s *quic.Stream, line string) error {
	if _, err := s.Write([]byte(line)); err != nil {
		return err
	}
	b := make([]byte, len(line))
	if _, err := io.ReadFull(s, b); err != nil {
		return err
	}
	if string(b) != line {
		return fmt.Errorf("echo %q, want %q", b, line)
	}
	return nil
}

// rebinder is a net.PacketConn over two UDP sockets: it sends from the
// first until rebind, from the second after, and reads from both, as a
// client behind a NAT that gave its flow a new port sees it.
type rebinder struct {
	socks    [2]*net.UDPConn
	cur      atomic.Int32
	in       chan datagram
	done     chan struct{}
	once     sync.Once
	mu       sync.Mutex
	deadline time.Time
	wake     chan struct{} // closed and replaced when the deadline changes
}

type datagram struct {
	b    []byte
	from net.Addr
}

func newRebinder() (*rebinder, error) {
	rb := &rebinder{in: make(chan datagram, 64), done: make(chan struct{}), wake: make(chan struct{})}
	for i := range rb.socks {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			rb.Close()
			return nil, err
		}
		rb.socks[i] = c
		go rb.read(c)
	}
	return rb, nil
}

func (rb *rebinder) read(c *net.UDPConn) {
	for {
		b := make([]byte, 2048)
		n, from, err := c.ReadFrom(b)
		if err != nil {
			return
		}
		select {
		case rb.in <- datagram{b[:n], from}:
		case <-rb.done:
			return
		}
	}
}

// rebind sends from the second socket from now on.
func (rb *rebinder) rebind() error {
	if !rb.cur.CompareAndSwap(0, 1) {
		return errors.New("rebind: moved already")
	}
	return nil
}

func (rb *rebinder) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		rb.mu.Lock()
		deadline, wake := rb.deadline, rb.wake
		rb.mu.Unlock()
		wait := time.Hour
		if !deadline.IsZero() {
			if wait = time.Until(deadline); wait <= 0 {
				return 0, nil, os.ErrDeadlineExceeded
			}
		}
		t := time.NewTimer(wait)
		select {
		case d := <-rb.in:
			t.Stop()
			return copy(p, d.b), d.from, nil
		case <-rb.done:
			t.Stop()
			return 0, nil, net.ErrClosed
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}

func (rb *rebinder) WriteTo(p []byte, addr net.Addr) (int, error) {
	return rb.socks[rb.cur.Load()].WriteTo(p, addr)
}

func (rb *rebinder) Close() error {
	rb.once.Do(func() { close(rb.done) })
	for _, c := range rb.socks {
		if c != nil {
			c.Close()
		}
	}
	return nil
}

func (rb *rebinder) LocalAddr() net.Addr { return rb.socks[rb.cur.Load()].LocalAddr() }

func (rb *rebinder) SetDeadline(t time.Time) error { return rb.SetReadDeadline(t) }

func (rb *rebinder) SetReadDeadline(t time.Time) error {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.deadline = t
	close(rb.wake)
	rb.wake = make(chan struct{})
	return nil
}

func (rb *rebinder) SetWriteDeadline(time.Time) error { return nil }

// migrateClient echoes a line, then moves on purpose (RFC 9000, 9.2):
// it probes a path from a second UDP socket (quic-go's Conn.AddPath, with
// a connection ID the server issued in a NEW_CONNECTION_ID frame, which
// only keys show), switches to it once validated, echoes another line
// over it and closes.
func migrateClient(ctx context.Context, server net.Addr, tc *tls.Config, qc *quic.Config) error {
	var trs [2]*quic.Transport
	for i := range trs {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		trs[i] = &quic.Transport{Conn: c, ConnectionIDLength: 8}
		defer trs[i].Close()
	}
	conn, s, err := dialHello(ctx, trs[0], server, tc, qc)
	if err != nil {
		return err
	}
	p, err := conn.AddPath(trs[1])
	if err != nil {
		return err
	}
	if err := p.Probe(ctx); err != nil {
		return err
	}
	if err := p.Switch(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "quicpeer: migrate: moved from %v to %v\n", trs[0].Conn.LocalAddr(), trs[1].Conn.LocalAddr())
	return afterMove(conn, s)
}
