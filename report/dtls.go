package report

import "github.com/hsdecode/hsdecode/flows"

// dtlsInfo is a DTLS connection's dtls member (docs/report.md): what its
// records say besides the handshake.
type dtlsInfo flows.DTLS

func (d *dtlsInfo) fields(w fieldWriter) {
	w.num("cookie_length", int64(d.CookieLength), omitEmpty)
	w.num("retransmitted", int64(d.Retransmitted), omitEmpty)
	w.num("unified", int64(d.Unified), omitEmpty)
	w.num("malformed", int64(d.Malformed), omitEmpty)
}
