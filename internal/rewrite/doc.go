// Package rewrite rewrites a capture the way networks deliver TCP, for
// testing that hsdecode reports the same on messy traffic as on clean.
//
// Rewrite cuts every TCP payload into several segments at random points
// and inside TLS record headers, swaps neighbouring segments, sends some
// again as they were and some again starting inside the segment before,
// and splits TLS handshake records in two (a handshake message then spans
// records) where that changes nothing hsdecode can report, and sends some
// IPv4 segments as IP fragments: the bytes of every direction stay the
// same but for those new record headers, and sequence numbers and
// acknowledgements follow them. What it cannot take
// apart (IP fragments, truncated packets, unknown link types) it writes
// as it came and moves nothing across. Random choices come from a seed:
// the same seed gives the same capture.
//
// It reads any capture package capture reads (ReadFile) and writes
// classic pcap (WriteFile). It is used by cmd/hsdecode's
// TestSameVerdictRewritten and by scripts/rewrite-capture; it is not part
// of hsdecode.
package rewrite
