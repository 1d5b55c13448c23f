// Command hsdecode reads a packet capture, or captures live on an
// interface, and reports, for every TCP connection that carries TLS, how its
// handshake went and why.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

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

const usageHead = `hsdecode: decode the TLS handshakes of a packet capture, or of live traffic,
and check their order.

Usage:
  hsdecode -r capture.pcap                    readable report: a header and a ladder per connection
  hsdecode -r capture.pcapng --format json    one JSON object per connection (JSON Lines)
  tcpdump -w - ... | hsdecode -r -            a capture on standard input
  hsdecode -i eth0                            live: each handshake reported as soon as it is decided
  hsdecode -i any -f 'tcp port 443 or tcp port 8443' --format json
  hsdecode -i lo -w saved.pcap tcp port 8443  live, keeping the packets; the filter as tcpdump takes it
  hsdecode -D                                 list the interfaces to capture on

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

A live capture ends on SIGINT (Ctrl-C) or SIGTERM, after -c connections or
after --duration: connections still open are then reported (incomplete),
and the packet and drop counts printed on standard error; -v prints them
every 10 seconds, SIGUSR1 at once. Capturing needs root or the
capabilities cap_net_raw and cap_net_admin.

Exit status: 0 when no connection ended in alert or violation, 1 when one
did, 2 for a usage or input error (or a capture that failed).

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
	idle := fs.Duration("idle-timeout", 0, "close connections idle longer than this (capture time; 0: never; with -i, 5m unless given)")
	follow := fs.Bool("follow", false, "keep decoding established connections to their end, to report the alerts that close them (slower on bulk data)")
	maxBuf := fs.Int64("max-buffer", 512<<20, "bytes of out-of-order data buffered across all connections")
	iface := fs.StringP("interface", "i", "", "capture live on `IFACE` (any: every interface; a number from -D)")
	listIfaces := fs.BoolP("list-interfaces", "D", false, "list the interfaces live capture can use, and exit")
	filter := fs.StringP("filter", "f", "", "live capture filter `EXPR` in pcap-filter syntax (or give it as the remaining arguments, as to tcpdump)")
	snaplen := fs.IntP("snaplen", "s", 0, "live: bytes kept of each packet (0: 262144)")
	noPromisc := fs.BoolP("no-promisc", "p", false, "live: do not put the interface in promiscuous mode")
	bufKiB := fs.IntP("buffer-size", "B", defaultBufferKiB, "live: kernel capture buffer in `KiB`")
	count := fs.IntP("count", "c", 0, "live: stop after reporting `N` connections")
	duration := fs.Duration("duration", 0, "live: stop after this long")
	write := fs.StringP("write", "w", "", "live: also write the captured packets to `FILE` (pcap)")
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
	if *listIfaces {
		return listInterfaces(stdout, stderr)
	}
	var lc liveConfig
	isLive := fs.Changed("interface")
	if isLive {
		if err := liveArgs(fs, *read, *filter, *snaplen, *bufKiB, *count, *duration, *write); err != nil {
			fmt.Fprintln(stderr, "hsdecode:", err)
			return exitError
		}
		if !fs.Changed("idle-timeout") {
			*idle = liveIdleTimeout
		}
		lc = liveConfig{
			iface: *iface, count: *count, duration: *duration, write: *write, verbose: *verbose,
			countsOnStderr: *format != "text",
			opts: capture.LiveOptions{Filter: strings.TrimSpace(*filter + " " + strings.Join(fs.Args(), " ")),
				SnapLen: *snaplen, Promisc: !*noPromisc, BufferSize: *bufKiB << 10},
		}
	} else {
		for _, name := range []string{"filter", "snaplen", "no-promisc", "buffer-size", "count", "duration", "write"} {
			if fs.Changed(name) {
				fmt.Fprintf(stderr, "hsdecode: --%s is for live capture (-i IFACE)\n", name)
				return exitError
			}
		}
		if *read == "" && fs.NArg() == 1 {
			*read = fs.Arg(0)
		} else if *read == "" || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "hsdecode: give one capture file with -r FILE (- for standard input), or an interface with -i IFACE; --help explains")
			return exitError
		}
	}
	out, err := report.NewWithOptions(*format, stdout, report.TextOptions{Verbose: *verbose})
	if err != nil {
		fmt.Fprintln(stderr, "hsdecode:", err)
		return exitError
	}
	if isLive {
		lc.flows = flows.Options{Follow: *follow}
		lc.reassembly = reassembly.Options{MaxBufferedBytes: *maxBuf, IdleTimeout: *idle}
		return runLive(lc, out, stderr)
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
