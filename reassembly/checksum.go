package reassembly

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
	"github.com/hsdecode/hsdecode/internal/inet"
)

// ChecksumMode says which segments have their IPv4 header and TCP
// checksums verified. A segment that fails is dropped, as the receiver
// drops it, and counted in Stats.Skipped as "bad checksum": otherwise a
// copy the receiver never took could stand for the bytes it did take.
type ChecksumMode uint8

// Checksum modes.
const (
	// ChecksumAuto verifies checksums, except those that checksum offload
	// leaves unfinished on the capturing host's own packets (see
	// offloaded), and those of a side whose first segment's were wrong
	// (see Assembler.badChecksum); and it stops verifying for the rest of the
	// capture when more than a tenth of its first checksumSample TCP
	// segments fail anyway (Suricata's checksum-validation: auto).
	ChecksumAuto ChecksumMode = iota
	ChecksumOn                // verify every segment, offloaded or not
	ChecksumOff               // verify nothing
)

const (
	// checksumSample is how many segments ChecksumAuto looks at before it
	// decides, as Suricata's CHECKSUM_SAMPLE_COUNT.
	checksumSample = 1000
	// checksumBadShare: more than one in checksumBadShare failing turns
	// verification off (Suricata's CHECKSUM_INVALID_RATIO).
	checksumBadShare = 10
)

const reasonBadChecksum = "bad checksum"

// checksums decides, frame by frame, whether checksums are verified. It
// sees every frame given to the Assembler, or to Sharded, in capture
// order, so that every worker of a Sharded verifies the same frames as one
// Assembler would.
type checksums struct {
	mode         ChecksumMode
	sampled, bad int
	off          bool // ChecksumAuto gave up verifying
}

// verify reports whether the checksums of a frame are to be verified. In
// ChecksumAuto, the frames of the common shapes (quickSegment) count
// towards the sample until it is complete.
func (c *checksums) verify(link layers.LinkType, data []byte) bool {
	switch {
	case c.mode == ChecksumOff || c.off:
		return false
	case c.mode == ChecksumOn || c.sampled >= checksumSample:
		return true
	}
	s, d, tcp, _, _, ok := quickSegment(link, data)
	if !ok {
		return true
	}
	c.sampled++
	if _, offload := tcpChecksum(s, d, tcp); !offload {
		c.bad++
	}
	if c.sampled == checksumSample && c.bad*checksumBadShare > c.sampled {
		c.off = true
		return false
	}
	return true
}

// checksumState verifies a decoded segment's IPv4 header and TCP
// checksums: right says both are, offload that both are right or as
// checksum offload leaves them (see offloaded). The TCP checksum of a
// segment the capture cut short cannot be verified, and is taken as right.
func checksumState(seg segment) (right, offload bool) {
	right, offload = true, true
	if h := seg.ipHeader; len(h) >= 20 && inet.Fold(inet.Sum(h, 0)) != 0xffff {
		// Windows offloads the IPv4 header checksum too, leaving zero.
		right, offload = false, h[10] == 0 && h[11] == 0
	}
	if seg.cut > 0 {
		return right, offload
	}
	t := seg.tcp
	b := t.Contents[:len(t.Contents)+len(t.Payload)]
	tr, to := tcpChecksum(seg.src.Addr(), seg.dst.Addr(), b)
	return right && tr, offload && to
}

// badChecksum reports whether a segment, of c when it belongs to an open
// connection, is to be dropped for its checksums, and how they are
// (sumRight, sumOffload, sumWrong). In ChecksumAuto, it is dropped when
// they are wrong in a way offload does not explain, on a side whose
// first segment's were not: a side whose first segment had wrong ones
// comes from a capture whose checksums say nothing (addresses rewritten
// or anonymised, an offload of another kind), and a forged copy cannot
// be told from its other segments. A sender forging copies has to get
// its first segment, the SYN, accepted.
func (a *Assembler) badChecksum(c *conn, seg segment) (bool, sumState) {
	right, offload := checksumState(seg)
	switch {
	case right:
		return false, sumRight
	case a.opts.ChecksumMode == ChecksumOn:
		return true, sumWrong
	case offload:
		return false, sumOffload
	case c == nil:
		return false, sumWrong
	}
	side := c.sideOf(seg.src)
	return c.dir[side].sums == sumRight || c.dir[side].sums == sumOffload, sumWrong
}

// sumState is how a segment's checksums were, or, for a side, its first
// segment's; zero when not verified.
type sumState uint8

const (
	sumRight sumState = iota + 1
	sumOffload
	sumWrong
)

// firstSum notes how the checksums of a side's first segment were.
func (c *conn) firstSum(seg segment, s sumState) {
	side := c.sideOf(seg.src)
	if c.dir[side].sums == 0 {
		c.dir[side].sums = s
	}
}

// tcpChecksum verifies the checksum of a TCP segment b (header and
// payload) between two addresses (RFC 9293, 3.1; RFC 8200, 8.1 for IPv6):
// right, or, with offload, left as offload leaves it.
func tcpChecksum(src, dst netip.Addr, b []byte) (right, offload bool) {
	var ps uint64
	if src.Is4() && dst.Is4() {
		s, d := src.As4(), dst.As4()
		ps = inet.Sum(d[:], inet.Sum(s[:], 0))
	} else {
		s, d := src.As16(), dst.As16()
		ps = inet.Sum(d[:], inet.Sum(s[:], 0))
	}
	ps += uint64(layers.IPProtocolTCP)
	n := uint64(len(b))
	withLen := ps + n>>16 + n&0xffff
	if inet.Fold(inet.Sum(b, withLen)) == 0xffff {
		return true, true
	}
	return false, offloaded(binary.BigEndian.Uint16(b[16:18]), ps, withLen)
}

// offloaded reports whether a TCP checksum is what checksum offload
// leaves in a packet the capturing host sent, which the NIC was to
// finish: the sum of the pseudo-header alone (Linux's CHECKSUM_PARTIAL,
// __tcp_v4_send_check, which loopback captures show), the same without
// the length (segmentation offload fills it in per segment), or zero.
// A receiver never sees these, and a sender is not forging them: the
// price is that a forged copy with such a checksum passes in
// ChecksumAuto.
func offloaded(check uint16, ps, withLen uint64) bool {
	return check == 0 || check == inet.Fold(withLen) || check == inet.Fold(ps)
}
