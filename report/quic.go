package report

import (
	"strconv"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/quic"
)

// quicInfo is a QUIC connection's quic member (docs/report.md): what its
// packets say besides the TLS handshake.
type quicInfo flows.QUIC

func (q *quicInfo) fields(w fieldWriter) {
	if q.Version != 0 {
		w.str("version", q.Version.String(), always)
	}
	w.hex("dcid", q.DCID, omitEmpty)
	w.hex("client_scid", q.ClientSCID, omitEmpty)
	w.hex("server_scid", q.ServerSCID, omitEmpty)
	if q.Retry {
		w.flag("retry", true, always)
		w.flag("retry_tag_valid", q.RetryTagValid, always)
	}
	if len(q.VersionNegotiation) > 0 {
		w.strs("version_negotiation", versionNames(q.VersionNegotiation), always)
		w.str("abandoned_version", q.AbandonedVersion.String(), always)
	}
	if q.Close != nil {
		w.object("close", (*quicClose)(q.Close))
	}
	w.num("undecryptable", int64(q.Undecryptable), omitEmpty)
	w.num("malformed", int64(q.Malformed), omitEmpty)
	w.objects("paths", quicPaths(q.Paths))
}

// quicPath is an address and port the client sent from, when it moved.
type quicPath flows.QUICPath

func (p *quicPath) fields(w fieldWriter) {
	w.object("client", (*endpoint)(&p.Client))
	w.stamp("ts", p.TS)
	w.str("linked", p.Linked, always)
}

type quicPaths []flows.QUICPath

func (l quicPaths) len() int        { return len(l) }
func (l quicPaths) at(i int) object { return (*quicPath)(&l[i]) }

func versionNames(vs []quic.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// quicClose is a CONNECTION_CLOSE frame: its error code in hex as RFC
// 9000 writes them, the alert of a CRYPTO_ERROR being in alerts.
type quicClose flows.QUICClose

func (c *quicClose) fields(w fieldWriter) {
	w.stamp("ts", c.TS)
	w.str("from", string(c.From), always)
	w.flag("application", c.Application, omitEmpty)
	w.str("error_code", "0x"+strconv.FormatUint(c.ErrorCode, 16), always)
	if !c.Application {
		w.str("frame_type", "0x"+strconv.FormatUint(c.FrameType, 16), always)
	}
	w.str("reason", c.Reason, omitEmpty)
}

// quicParam is a QUIC transport parameter (RFC 9000, 18): its registry
// name, its value when it is a number, a connection ID in hex, else its
// length (an empty connection ID's is 0).
type quicParam decode.QUICTransportParameter

func (p *quicParam) fields(w fieldWriter) {
	w.str("id", decode.QUICTransportParameter(*p).Name(), always)
	switch {
	case p.HasValue:
		w.num("value", int64(min(p.Value, 1<<62)), always)
	case len(p.Bytes) > 0:
		w.hex("hex", p.Bytes, always)
	default:
		w.num("length", int64(p.Length), always)
	}
}

type quicParams []decode.QUICTransportParameter

func (l quicParams) len() int        { return len(l) }
func (l quicParams) at(i int) object { return (*quicParam)(&l[i]) }
