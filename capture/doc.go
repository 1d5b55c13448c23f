// Package capture reads packets from capture files for hsdecode.
//
// It opens classic pcap files (either byte order, microsecond or nanosecond
// timestamps) and pcapng files (every interface with its own link type),
// telling them apart by their magic number, and hands out one Packet at a
// time with its link type and capture metadata. Standard input is read when
// the path is "-". Files are read with gopacket's pure-Go pcapgo, so this
// path builds with CGO_ENABLED=0.
//
// It does not decode packets (that is package reassembly, which the caller
// feeds with each Packet), does not capture from live interfaces, apply BPF
// filters or report kernel drop counters yet, and does not read
// gzip-compressed captures.
//
// Errors name the file and what is wrong with it. A capture cut short is
// not silently accepted: every whole packet is returned, then an error
// wrapping ErrTruncated that names the first incomplete packet.
package capture
