// Package capture reads packets for hsdecode: from capture files, and live
// from network interfaces.
//
// OpenFile opens classic pcap files (either byte order, microsecond or
// nanosecond timestamps) and pcapng files (every interface with its own
// link type), telling them apart by their magic number, and hands out one
// Packet at a time with its link type and capture metadata. Standard input
// is read when the path is "-". Files are read with gopacket's pure-Go
// pcapgo, so this path builds with CGO_ENABLED=0. A pcapng file's
// Decryption Secrets Blocks of TLS key logs (what editcap --inject-secrets
// writes), wherever they are in the file, are handed to the caller as
// NSS key log text (SecretsSource), for package keylog to read. A file
// compressed with gzip, zstd, xz or lz4 is told by its first bytes and
// read through its decompressor, as Wireshark reads them (compressed.go),
// the decoder's memory bounded.
//
// OpenLive captures on an interface through libpcap (gopacket/pcap): BPF
// filters, snap length, promiscuous mode, the kernel buffer size, and a
// buffer timeout of a tenth of a second, so that packets come a block at a
// time and a quiet interface holds none back longer. Stats returns the kernel's and the interface's drop
// counters; Interfaces lists what can be captured on. libpcap needs cgo:
// that code is built only with cgo (live_pcap.go), and without it OpenLive
// and Interfaces return ErrNoLiveCapture. CreateFile writes packets to a
// pcap file (pcapgo, no cgo), for keeping what a live capture saw;
// CreateNgFile writes pcapng, with key logs in Decryption Secrets Blocks
// among the packets.
//
// Open applies a BPF filter to a file as tcpdump -r FILE EXPR does,
// compiled by libpcap for each link type the file holds (filter.go);
// without cgo, a filter is ErrFilterNeedsLibpcap.
//
// It does not decode packets (that is package reassembly, which the caller
// feeds with each Packet) or parse key logs.
//
// Errors name the file or interface and what is wrong with it. A capture
// cut short is not silently accepted: every whole packet is returned, then
// an error wrapping ErrTruncated that names the first incomplete packet.
//
// Its API is a stage of hsdecode's pipeline (docs/design.md): exported for
// cmd/hsdecode and documented, but changed with what hsdecode needs, with
// no promise of stability to other programs; decode is the package meant
// for them.
package capture
