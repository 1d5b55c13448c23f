package report

import (
	"io"
	"sync"
)

// Encoding a connection's JSON line is a third of a run's CPU on a
// handshake-heavy capture (issue 18), and the caller's goroutine, which
// also reads the capture and hands the packets to the workers, is the one
// every other waits for. Lines depend on nothing but their connection, so
// linePool encodes them on several goroutines, and one more writes them
// in the order they were given: the output is byte for byte the same.

// linePool encodes JSON lines at once and writes them in order.
type linePool struct {
	out    io.Writer
	work   chan *lineJob // to the encoders
	order  chan *lineJob // to the writer, in the order given
	closed chan struct{} // the writer is done
	jobs   sync.Pool
	// pending counts the lines given and not yet written, for sync.
	pending sync.WaitGroup

	mu  sync.Mutex
	err error // the first write error: no line is written after it
}

// lineJob is one connection on its way: what it is encoded from, its
// line, and ready, which the encoder signals once line is whole.
type lineJob struct {
	l     line
	b     []byte
	ready chan struct{}
}

// linesInFlight is how many lines may be given and not yet written:
// enough to keep the encoders busy while one line waits, and a number
// whatever the CPUs, since the results they hold are outside
// --max-buffer (a line's result is a few KB: a few hundred KB in all).
const linesInFlight = 64

func newLinePool(out io.Writer, encoders int) *linePool {
	p := &linePool{
		out:    out,
		work:   make(chan *lineJob, linesInFlight),
		order:  make(chan *lineJob, linesInFlight),
		closed: make(chan struct{}),
	}
	p.jobs.New = func() any { return &lineJob{ready: make(chan struct{}, 1)} }
	for range encoders {
		go p.encode()
	}
	go p.write()
	return p
}

func (p *linePool) encode() {
	var e jsonEncoder
	for j := range p.work {
		e.b = j.b[:0]
		e.appendObject(&j.l)
		j.b = append(e.b, '\n')
		j.ready <- struct{}{}
	}
}

func (p *linePool) write() {
	defer close(p.closed)
	for j := range p.order {
		<-j.ready
		p.mu.Lock()
		if p.err == nil {
			_, p.err = p.out.Write(j.b)
		}
		p.mu.Unlock()
		j.l = line{}
		if cap(j.b) > 64<<10 {
			j.b = nil // a rare huge line is not kept for every later one
		}
		p.jobs.Put(j)
		p.pending.Done()
	}
}

// submit gives a line to be encoded and written; the error is the first
// of the lines written so far.
func (p *linePool) submit(l line) error {
	if err := p.firstErr(); err != nil {
		return err
	}
	j := p.jobs.Get().(*lineJob)
	j.l = l
	p.pending.Add(1)
	p.work <- j
	p.order <- j
	return nil
}

// sync returns once every line given is written.
func (p *linePool) sync() error {
	p.pending.Wait()
	return p.firstErr()
}

// stop ends the goroutines, once every line given is written.
func (p *linePool) stop() error {
	close(p.work)
	close(p.order)
	<-p.closed
	return p.firstErr()
}

func (p *linePool) firstErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Parallel has the writer encode its lines on n goroutines (at least 2
// for any gain), written in order by one more. Write then returns before
// its line is written: the Result must not change afterwards, Sync waits
// for the lines given, and Close for all. For a run that reads a file; a
// live capture or a pipe writes each connection as it is decided, which
// one goroutine keeps up with.
func (w *JSONWriter) Parallel(n int) {
	if n > 1 && w.par == nil {
		w.par = newLinePool(w.out, n)
	}
}

// Sync implements Syncer.
func (w *JSONWriter) Sync() error {
	if w.par == nil {
		return w.err
	}
	return w.par.sync()
}

// write writes one line, on this goroutine or through the pool.
func (w *JSONWriter) write(l line) error {
	if w.par != nil {
		return w.par.submit(l)
	}
	if w.err != nil {
		return w.err
	}
	w.enc.b = w.enc.b[:0]
	w.enc.appendObject(&l)
	w.enc.b = append(w.enc.b, '\n')
	_, w.err = w.out.Write(w.enc.b)
	return w.err
}
