package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// The help (--help) and the manual page (--man) are made from the same
// text: the sections below and the flags' definitions.

// helpWidth is the width every line of --help fits.
const helpWidth = 80

// purpose is the one line under the name, in --help and in the manual's
// NAME section.
const purpose = "decode the TLS handshakes of a packet capture, or of live traffic, and check their order"

// synopsis is the forms of a command line.
var synopsis = []string{
	"hsdecode [flags] [-r] FILE|DIR ...",
	"hsdecode [flags] -i IFACE [FILTER]",
	"hsdecode -D | --version | --man | completion bash|zsh|fish",
}

// helpSection is a part of the help and of the manual page. Its body is
// either paragraphs of words, filled to the width (pre false), or lines
// kept as written, each at most helpWidth-7 columns (the manual indents
// them by 7).
type helpSection struct {
	title string
	pre   bool
	body  string
}

var helpSections = []helpSection{
	{"Examples", true, `hsdecode -r capture.pcap              a readable report: a ladder per
                                      connection
hsdecode -r capture.pcapng --format json
                                      one JSON object per connection
tcpdump -w - ... | hsdecode -r -      a capture on standard input
hsdecode -r capture.pcap -o report.txt  the report in a file
hsdecode -i eth0                      live: each handshake reported as
                                      soon as it is decided
hsdecode -i any --format json -o /var/log/hsdecode.json
                                      a sensor; SIGHUP reopens the file
hsdecode -i lo -w saved.pcap tcp port 8443
                                      live, keeping the packets; the
                                      filter as tcpdump takes it
hsdecode -D                           list the interfaces to capture on
hsdecode --fail-on violation,alert,weak-cipher --junit report.xml caps/
                                      a CI gate: JUnit XML, exit 1 on a
                                      finding
hsdecode --format ecs capture.pcap    Elastic Common Schema documents;
                                      --format zeek: Zeek's ssl.log
hsdecode --html report.html caps/     also a page to attach to a ticket`},
	{"Outcomes", false, `Every TCP connection that carries TLS (found by its first bytes, on any
port) gets one outcome, the first of these that applies:`},
	{"", true, `violation    a side sent something the SSL/TLS order does not allow,
             or a record or handshake message that does not parse
alert        a fatal alert ended the handshake before it was established
established  the handshake finished in a valid order
partial      the capture began after the ClientHello: no verdict on order
gap          bytes missing from the capture left the order undecidable
incomplete   the connection or the capture ended first, with no alert
not_tls      a connection to a TLS port that does not carry TLS`},
	{"Text report", false, `Times are in UTC, marked Z (2026-11-27 14:19:14.824357Z); with --local, in
local time with the zone's offset (2026-11-27 15:19:14.824357+01:00). Each
message's time is the seconds since the connection's first packet.`},
	{"Live capture", false, `A live capture ends on SIGINT (Ctrl-C) or SIGTERM, when standard output
is closed, after -c connections or after --duration: connections still
open are then reported (incomplete), the -w file closed whole, and the
packet and drop counts printed on standard error. SIGHUP ends it too, as
a closed terminal sends it, except with -o: then, as Suricata does for
its logs, SIGHUP closes the -o file and opens it again (anew when it was
moved, as logrotate does), and the capture goes on. -v prints the counts
every 10 seconds, SIGUSR1 at once. Capturing needs root or the
capabilities cap_net_raw and cap_net_admin.`},
	{"Inputs", false, `Several captures, and directories of them (*.pcap, *.pcapng, *.cap), may
be given in one run: each connection names its file. A capture named
completion is given as ./completion. Captures compressed with gzip, zstd,
xz or lz4 are read as they are (*.pcap.gz ... in directories).

A capture filter follows the inputs, as tcpdump -r FILE EXPR takes it:
the arguments that exist as files or directories are inputs, and the
first that does not begins the filter (hsdecode a.pcap b.pcap tcp port
443); a name like a capture's (x.pcap) or with a directory in it is an
input even when missing. Or give the filter with -f: every argument is
then an input.

--outcome, --server, --sni and --id choose the connections reported,
counted in the summary and judged by --fail-on and --baseline.`},
	{"Exit status", false, `0 when no connection had a finding of --fail-on (by default a violation
or an alert), 1 when one did (with --baseline: when something got worse
than in the baseline) or when the gate found too few TLS connections
(--min-connections), 2 for a usage or input error (or a capture that
failed; the other inputs are still reported).`},
}

// printHelp writes --help: the purpose, the synopsis, the sections and
// the flags, every line within helpWidth.
func printHelp(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "%s\nUsage:\n", wrap("hsdecode: "+purpose+".", helpWidth, ""))
	for _, s := range synopsis {
		fmt.Fprintf(w, "  %s\n", s)
	}
	for _, s := range helpSections {
		if s.title != "" {
			fmt.Fprintf(w, "\n%s:\n", s.title)
		}
		if s.pre {
			for _, l := range strings.Split(s.body, "\n") {
				fmt.Fprintf(w, "  %s\n", l)
			}
			continue
		}
		fmt.Fprint(w, wrap(strings.Join(strings.Fields(s.body), " "), helpWidth, ""))
	}
	fmt.Fprintf(w, "\nOptions:\n%s", fs.FlagUsagesWrapped(helpWidth))
}

// wrap fills words into lines of at most width columns, each starting
// with indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}
