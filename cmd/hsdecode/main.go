// Command hsdecode reads a packet capture and reports, for every TCP
// connection that carries TLS, how its handshake went and why.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spf13/pflag"

	"github.com/hsdecode/hsdecode/capture"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
	"github.com/hsdecode/hsdecode/report"
)

// Exit statuses.
const (
	exitOK       = 0 // no connection ended in alert or violation
	exitFindings = 1 // at least one did
	exitError    = 2 // usage or input error
)

const usageHead = `hsdecode: decode the TLS handshakes of a packet capture and check their order.

Usage:
  hsdecode -r capture.pcap                    readable report: a header and a ladder per connection
  hsdecode -r capture.pcapng --format json    one JSON object per connection (JSON Lines)
  tcpdump -w - ... | hsdecode -r -            a capture on standard input

Every TCP connection that carries TLS (found by its first bytes, on any
port) gets one outcome, the first of these that applies:
  violation    a side sent something the SSL/TLS order does not allow, or a
               record or handshake message that does not parse
  alert        a fatal alert ended the handshake before it was established
  established  the handshake finished in a valid order
  partial      the capture began after the ClientHello: no verdict on order
  gap          bytes missing from the capture left the order undecidable
  incomplete   the connection or the capture ended first, with no alert
  not_tls      a connection to a TLS port that does not carry TLS

Exit status: 0 when no connection ended in alert or violation, 1 when one
did, 2 for a usage or input error.

Options:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("hsdecode", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	read := fs.StringP("read", "r", "", "read packets from `FILE` (pcap or pcapng; - for standard input)")
	format := fs.String("format", "text", "output `FORMAT`: text or json")
	verbose := fs.BoolP("verbose", "v", false, "also print every handshake detail under each ladder (text), and counts of packets and connections skipped, and why")
	idle := fs.Duration("idle-timeout", 0, "close connections idle longer than this (capture time; 0: never)")
	follow := fs.Bool("follow", false, "keep decoding established connections to their end, to report the alerts that close them (slower on bulk data)")
	maxBuf := fs.Int64("max-buffer", 512<<20, "bytes of out-of-order data buffered across all connections")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHead)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if *read == "" && fs.NArg() == 1 {
		*read = fs.Arg(0)
	} else if *read == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "hsdecode: give one capture file with -r FILE (- for standard input); --help explains")
		return exitError
	}
	out, err := report.NewWithOptions(*format, stdout, report.TextOptions{Verbose: *verbose})
	if err != nil {
		fmt.Fprintln(stderr, "hsdecode:", err)
		return exitError
	}

	an, err := analyze(*read, flows.Options{Follow: *follow}, reassembly.Options{MaxBufferedBytes: *maxBuf, IdleTimeout: *idle})
	if err != nil {
		fmt.Fprintln(stderr, "hsdecode:", err)
		return exitError
	}

	status := exitOK
	for i := range an.results {
		r := &an.results[i]
		if r.Outcome == flows.OutcomeAlert || r.Outcome == flows.OutcomeViolation {
			status = exitFindings
		}
		if err := out.Write(r); err != nil {
			fmt.Fprintln(stderr, "hsdecode: write:", err)
			return exitError
		}
	}
	if err := out.Close(); err != nil {
		fmt.Fprintln(stderr, "hsdecode: write:", err)
		return exitError
	}
	if *verbose {
		printStats(stderr, an.stats, an.notReported)
	}
	if an.readErr != nil {
		fmt.Fprintln(stderr, "hsdecode:", an.readErr)
		return exitError
	}
	return status
}

// analysis is what one capture file gave.
type analysis struct {
	results     []flows.Result
	stats       reassembly.Stats
	notReported int64
	readErr     error // the capture broke off here; results hold what came before
}

// analyze runs a capture file through reassembly and flows. An error means
// the file could not be opened at all.
func analyze(path string, fo flows.Options, o reassembly.Options) (*analysis, error) {
	src, err := capture.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	col := flows.NewCollector(fo)
	asm := reassembly.NewAssembler(col, o)
	an := new(analysis)
	for {
		p, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			an.readErr = err
			break
		}
		asm.Packet(p.LinkType, p.Data, p.CaptureInfo)
	}
	asm.Flush()
	an.results, an.stats, an.notReported = col.Results(), asm.Stats(), col.NotReported()
	return an, nil
}

func printStats(w io.Writer, st reassembly.Stats, notReported int64) {
	fmt.Fprintf(w, "hsdecode: %d packets, %d bytes, %d TCP connections (%d without TLS not reported)\n",
		st.Packets, st.Bytes, st.Connections, notReported)
	reasons := make([]string, 0, len(st.Skipped))
	for r := range st.Skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "hsdecode: skipped %d packets: %s\n", st.Skipped[r], r)
	}
}
