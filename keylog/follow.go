package keylog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// pollInterval is how often a Follower looks for new lines. Polling,
// rather than inotify, works on every system and every file system, and
// a tenth of a second is shorter than a handshake waits for its peer.
const pollInterval = 100 * time.Millisecond

// Follower adds to a Log the lines a key log file gains as it is
// written, as tail -F follows a file: the file need not exist yet; when it
// shrinks it was truncated and is read again from its start; when the
// path names another file (a key log replaced by a rename) the new one is
// read from its start. A line is read once its newline is written: a last
// line without one is waiting for the rest of it.
type Follower struct {
	log      *Log
	path     string
	interval time.Duration
	stop     chan struct{}
	once     sync.Once
	done     chan struct{}

	mu    sync.Mutex
	stats Stats
	err   error

	// Owned by whoever holds pollMu: the goroutine polling, or Poll.
	pollMu sync.Mutex
	closed bool
	f      *os.File
	off    int64 // how far f has been read
	p      parser
	buf    []byte
}

// Follow starts following the key log at path, adding its secrets to g
// until Close.
func (g *Log) Follow(path string) *Follower {
	f := newFollower(g, path, pollInterval)
	go f.run()
	return f
}

func newFollower(g *Log, path string, interval time.Duration) *Follower {
	return &Follower{
		log: g, path: path, interval: interval,
		stop: make(chan struct{}), done: make(chan struct{}),
		p: parser{log: g, name: path},
	}
}

// Close stops following, once the lines being read are added.
func (f *Follower) Close() error {
	f.once.Do(func() { close(f.stop) })
	<-f.done
	return nil
}

// Stats returns what the key log held so far, across truncations.
func (f *Follower) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// Err returns the error of the last attempt to open or read the file:
// one wrapping os.ErrNotExist while the file is yet to be made, nil once
// it reads. Following goes on whatever it is.
func (f *Follower) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *Follower) run() {
	defer close(f.done)
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		f.pollLocked()
		select {
		case <-f.stop:
			f.pollMu.Lock()
			if f.f != nil {
				f.f.Close()
			}
			f.closed = true
			f.pollMu.Unlock()
			return
		case <-t.C:
		}
	}
}

// Poll reads what the file gained now rather than at the next tick: a
// reader that needs a secret the file may have just gained (a live
// capture at a ClientHello's next record) asks for it. After Close it
// does nothing.
func (f *Follower) Poll() { f.pollLocked() }

func (f *Follower) pollLocked() {
	f.pollMu.Lock()
	defer f.pollMu.Unlock()
	if !f.closed {
		f.poll()
	}
}

// poll reads what the file gained since the last poll.
func (f *Follower) poll() {
	err := f.follow()
	if err == nil && f.f == nil {
		// The file was replaced: the new one is read now, not a poll later.
		err = f.follow()
	}
	f.mu.Lock()
	f.stats = f.p.stats
	f.err = err
	f.mu.Unlock()
}

func (f *Follower) follow() error {
	if f.f == nil {
		file, err := os.Open(f.path)
		if err != nil {
			return fmt.Errorf("keylog: %w", err)
		}
		f.f, f.off = file, 0
		f.p.reset()
	}
	st, err := f.f.Stat()
	if err != nil {
		return f.drop(err)
	}
	if now, err := os.Stat(f.path); err == nil && !os.SameFile(st, now) {
		// Replaced: what the old file gained before is still its own.
		if err := f.read(); err != nil {
			return f.drop(err)
		}
		f.p.end()
		return f.drop(nil)
	}
	if st.Size() < f.off {
		f.off = 0
		f.p.reset()
	}
	if err := f.read(); err != nil {
		return f.drop(err)
	}
	return nil
}

// read adds the lines between f.off and the end of the file.
func (f *Follower) read() error {
	if f.buf == nil {
		f.buf = make([]byte, readSize)
	}
	for {
		n, err := f.f.ReadAt(f.buf, f.off)
		f.p.write(f.buf[:n])
		f.off += int64(n)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("keylog: %s: %w", f.path, err)
		}
	}
}

// drop closes the file, to be opened again at the next poll, and returns
// err.
func (f *Follower) drop(err error) error {
	f.f.Close()
	f.f = nil
	return err
}
