package report

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/stream"
)

// ECSVersion is the Elastic Common Schema version the ECS documents
// declare (ecs.version); testdata/ecs holds the definitions of the fields
// used, taken from that version.
const ECSVersion = "8.17.0"

// ECSWriter writes one JSON document per connection in the Elastic Common
// Schema: @timestamp, event.*, source.* (the client), destination.* (the
// server), network.*, related.*, tls.* and, for what ECS has no field
// for, hsdecode.* (outcome, history, violations, alerts, findings). Fields
// without a value are left out, as ECS producers do.
type ECSWriter struct {
	enc  *json.Encoder
	opt  Options
	file string
}

// NewECSWriter returns an ECSWriter on w.
func NewECSWriter(w io.Writer, o Options) *ECSWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &ECSWriter{enc: enc, opt: o}
}

// BeginFile notes the input the next connections come from.
func (e *ECSWriter) BeginFile(path string) error { e.file = path; return nil }

// Close writes nothing: the documents have no trailer.
func (e *ECSWriter) Close() error { return nil }

// ecsEndpoint is source, destination, client or server: address is the
// IP as text, as Packetbeat writes it; domain is the server's SNI.
type ecsEndpoint struct {
	Address string `json:"address"`
	IP      string `json:"ip"`
	Port    uint16 `json:"port"`
	Domain  string `json:"domain,omitempty"`
}

type ecsEvent struct {
	Kind     string   `json:"kind"`
	Category []string `json:"category"`
	Type     []string `json:"type"`
	Outcome  string   `json:"outcome"`
	Action   string   `json:"action"`
	Module   string   `json:"module"`
	Dataset  string   `json:"dataset"`
	Start    string   `json:"start"`
	End      string   `json:"end"`
	Duration int64    `json:"duration"`
	Reason   string   `json:"reason,omitempty"`
}

type ecsNetwork struct {
	Transport   string `json:"transport"`
	Type        string `json:"type"`
	Protocol    string `json:"protocol,omitempty"`
	CommunityID string `json:"community_id"`
}

type ecsHash struct {
	SHA1   string `json:"sha1,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
}

// ecsName is x509.issuer or x509.subject: the distinguished name and
// each attribute ECS names, as lists (a name may repeat an attribute).
type ecsName struct {
	DistinguishedName  string   `json:"distinguished_name,omitempty"`
	CommonName         []string `json:"common_name,omitempty"`
	Organization       []string `json:"organization,omitempty"`
	OrganizationalUnit []string `json:"organizational_unit,omitempty"`
	Country            []string `json:"country,omitempty"`
	StateOrProvince    []string `json:"state_or_province,omitempty"`
	Locality           []string `json:"locality,omitempty"`
}

// ecsNameOf splits an RFC 4514 name into ECS's attributes; nil for none.
func ecsNameOf(dn string) *ecsName {
	if dn == "" {
		return nil
	}
	a := dnAttributes(dn)
	return &ecsName{DistinguishedName: dn, CommonName: a["CN"], Organization: a["O"], OrganizationalUnit: a["OU"],
		Country: a["C"], StateOrProvince: a["ST"], Locality: a["L"]}
}

type ecsX509 struct {
	AlternativeNames   []string `json:"alternative_names,omitempty"`
	Issuer             *ecsName `json:"issuer,omitempty"`
	Subject            *ecsName `json:"subject,omitempty"`
	NotBefore          string   `json:"not_before,omitempty"`
	NotAfter           string   `json:"not_after,omitempty"`
	PublicKeyAlgorithm string   `json:"public_key_algorithm,omitempty"`
	PublicKeySize      int      `json:"public_key_size,omitempty"`
	PublicKeyCurve     string   `json:"public_key_curve,omitempty"`
	SerialNumber       string   `json:"serial_number,omitempty"`
	SignatureAlgorithm string   `json:"signature_algorithm,omitempty"`
	VersionNumber      string   `json:"version_number,omitempty"`
}

// ecsTLSSide is tls.client or tls.server.
type ecsTLSSide struct {
	ServerName       string   `json:"server_name,omitempty"`
	JA3              string   `json:"ja3,omitempty"`
	JA3S             string   `json:"ja3s,omitempty"`
	SupportedCiphers []string `json:"supported_ciphers,omitempty"`
	Subject          string   `json:"subject,omitempty"`
	Issuer           string   `json:"issuer,omitempty"`
	NotBefore        string   `json:"not_before,omitempty"`
	NotAfter         string   `json:"not_after,omitempty"`
	Hash             *ecsHash `json:"hash,omitempty"`
	X509             *ecsX509 `json:"x509,omitempty"`
}

type ecsTLS struct {
	Version         string      `json:"version,omitempty"`
	VersionProtocol string      `json:"version_protocol,omitempty"`
	Cipher          string      `json:"cipher,omitempty"`
	Curve           string      `json:"curve,omitempty"`
	Resumed         bool        `json:"resumed"`
	Established     bool        `json:"established"`
	NextProtocol    string      `json:"next_protocol,omitempty"`
	Client          *ecsTLSSide `json:"client,omitempty"`
	Server          *ecsTLSSide `json:"server,omitempty"`
}

// ecsHsdecode is hsdecode's own namespace: the facts ECS has no field for,
// under the JSON report's names.
type ecsHsdecode struct {
	Outcome           string `json:"outcome"`
	Transport         string `json:"transport,omitempty"` // quic or dtls; absent for TCP
	History           string `json:"history,omitempty"`
	StartTLS          string `json:"starttls,omitempty"`
	ClientCertificate string `json:"client_certificate,omitempty"`
	Renegotiations    uint32 `json:"renegotiations,omitempty"`
	Closed            string `json:"closed,omitempty"`
	JA4               string `json:"ja4,omitempty"`
	File              string `json:"file,omitempty"`
	// The JSON report's objects, written as it writes them; nil when
	// there are none. ECS has no field for tunnels: network.inner holds
	// only the inner VLAN of 802.1Q in 802.1Q.
	Tunnels    json.Marshaler `json:"tunnels,omitempty"`
	Violations json.Marshaler `json:"violations,omitempty"`
	Alerts     json.Marshaler `json:"alerts,omitempty"`
	Gap        json.Marshaler `json:"gap,omitempty"`
	Findings   json.Marshaler `json:"findings,omitempty"`
}

type ecsDocument struct {
	Timestamp string `json:"@timestamp"`
	ECS       struct {
		Version string `json:"version"`
	} `json:"ecs"`
	Event       ecsEvent    `json:"event"`
	Source      ecsEndpoint `json:"source"`
	Destination ecsEndpoint `json:"destination"`
	Client      ecsEndpoint `json:"client"`
	Server      ecsEndpoint `json:"server"`
	Network     ecsNetwork  `json:"network"`
	Related     struct {
		IP    []string `json:"ip"`
		Hosts []string `json:"hosts,omitempty"`
	} `json:"related"`
	TLS *ecsTLS `json:"tls,omitempty"`
	Log *struct {
		File struct {
			Path string `json:"path"`
		} `json:"file"`
	} `json:"log,omitempty"`
	Hsdecode ecsHsdecode `json:"hsdecode"`
}

// Write writes one connection's document.
func (e *ECSWriter) Write(r *flows.Result, findings []Finding) error {
	return e.enc.Encode(e.document(r, findings))
}

func (e *ECSWriter) document(r *flows.Result, fs []Finding) *ecsDocument {
	fp := fingerprintsOf(r)
	d := &ecsDocument{Timestamp: stamp(r.Start)}
	d.ECS.Version = ECSVersion
	d.Event = ecsEvent{Kind: "event", Category: []string{"network"}, Type: []string{"connection", "protocol"},
		Outcome: ecsOutcome(r.Outcome), Action: "tls-handshake", Module: "hsdecode", Dataset: "hsdecode.handshake",
		Start: stamp(r.Start), End: stamp(r.End), Duration: max(0, r.End.Sub(r.Start).Nanoseconds())}
	// event.reason says why: the diagnosis when there is one, else the
	// first finding.
	if r.Diagnosis != nil {
		d.Event.Reason = diagnosisLine(r.Diagnosis)
	} else if len(fs) > 0 {
		d.Event.Reason = fs[0].String()
	}
	client, server := unmap(r.Client), unmap(r.Server)
	// The client began the connection (docs/report.md, client), so it
	// is the source too, as Packetbeat fills both pairs.
	d.Source = ecsEndpoint{Address: client.Addr().String(), IP: client.Addr().String(), Port: client.Port()}
	d.Destination = ecsEndpoint{Address: server.Addr().String(), IP: server.Addr().String(), Port: server.Port(), Domain: r.ServerName}
	d.Client, d.Server = d.Source, d.Destination
	d.Network = ecsNetwork{Transport: "tcp", Type: "ipv4", CommunityID: CommunityID(client, server, e.opt.CommunityIDSeed)}
	if r.Transport != stream.TransportTCP {
		d.Network.Transport, d.Network.CommunityID = "udp", ResultCommunityID(r, e.opt.CommunityIDSeed)
		d.Hsdecode.Transport = r.Transport.String()
	}
	if client.Addr().Is6() {
		d.Network.Type = "ipv6"
	}
	if r.Outcome != flows.OutcomeNotTLS {
		d.Network.Protocol = "tls"
	}
	d.Related.IP = []string{d.Source.IP}
	if d.Destination.IP != d.Source.IP {
		d.Related.IP = append(d.Related.IP, d.Destination.IP)
	}
	if r.ServerName != "" {
		d.Related.Hosts = []string{r.ServerName}
	}
	if r.Outcome != flows.OutcomeNotTLS {
		d.TLS = ecsTLSOf(r, fp)
	}
	if e.opt.MultiFile {
		d.Log = &struct {
			File struct {
				Path string `json:"path"`
			} `json:"file"`
		}{}
		d.Log.File.Path = e.file
		d.Hsdecode.File = e.file
	}
	d.Hsdecode.Outcome = string(r.Outcome)
	d.Hsdecode.History = History(r)
	d.Hsdecode.ClientCertificate = r.ClientCertificate
	d.Hsdecode.StartTLS = r.StartTLS.String()
	d.Hsdecode.Closed = r.Closed
	d.Hsdecode.Renegotiations = r.Renegotiations
	if len(r.Tunnels) > 0 {
		d.Hsdecode.Tunnels = marshaledList{tunnels(r.Tunnels)}
	}
	if len(r.Violations) > 0 {
		d.Hsdecode.Violations = marshaledList{violations(r.Violations)}
	}
	if len(r.Alerts) > 0 {
		d.Hsdecode.Alerts = marshaledList{alerts(r.Alerts)}
	}
	if r.Gap != nil {
		d.Hsdecode.Gap = marshaled{(*gap)(r.Gap)}
	}
	if fp != nil {
		d.Hsdecode.JA4 = fp.JA4
	}
	if len(fs) > 0 {
		d.Hsdecode.Findings = marshaledList{findings(fs)}
	}
	return d
}

// ecsOutcome maps an outcome to event.outcome: success when established,
// failure when an alert or a violation ended it, unknown otherwise.
func ecsOutcome(o flows.Outcome) string {
	switch o {
	case flows.OutcomeEstablished:
		return "success"
	case flows.OutcomeAlert, flows.OutcomeViolation:
		return "failure"
	}
	return "unknown"
}

func ecsTLSOf(r *flows.Result, fp *fingerprints) *ecsTLS {
	t := &ecsTLS{Resumed: r.Resumed, Established: r.Outcome == flows.OutcomeEstablished, NextProtocol: r.ALPN}
	if r.Version != 0 {
		t.VersionProtocol, t.Version = ecsVersion(r.Version)
	}
	if r.HasCipherSuite {
		t.Cipher = r.CipherSuite.String()
	}
	t.Curve = curveName(r)
	if ch := r.ClientHello; ch != nil {
		t.Client = &ecsTLSSide{ServerName: r.ServerName}
		if fp != nil {
			t.Client.JA3 = fp.JA3
		}
		for _, c := range ch.CipherSuites {
			t.Client.SupportedCiphers = append(t.Client.SupportedCiphers, c.String())
		}
	}
	if r.ClientCertificates != nil && len(r.ClientCertificates.Certificates) > 0 {
		if t.Client == nil {
			t.Client = &ecsTLSSide{}
		}
		ecsCert(t.Client, &r.ClientCertificates.Certificates[0])
	}
	if fp != nil && fp.JA3S != "" {
		t.Server = &ecsTLSSide{JA3S: fp.JA3S}
	}
	if r.ServerCertificates != nil && len(r.ServerCertificates.Certificates) > 0 {
		if t.Server == nil {
			t.Server = &ecsTLSSide{}
		}
		ecsCert(t.Server, &r.ServerCertificates.Certificates[0])
	}
	return t
}

// ecsVersion splits a version as tls.version_protocol and tls.version
// want it: "tls", "1.2"; "ssl", "3.0". A TLS 1.3 draft is "1.3".
func ecsVersion(v decode.Version) (string, string) {
	switch {
	case v == decode.VersionSSL20:
		return "ssl", "2.0"
	case v == decode.VersionSSL30:
		return "ssl", "3.0"
	case v.IsTLS13():
		return "tls", "1.3"
	case v>>8 == 0x03 && v <= decode.VersionTLS13:
		return "tls", "1." + strconv.Itoa(int(v&0xff)-1)
	case v>>8 == 0xfe:
		return "dtls", strings.TrimPrefix(v.String(), "DTLS ")
	}
	return "", v.String()
}

// ecsCert fills a side's certificate fields from the leaf of its chain.
func ecsCert(s *ecsTLSSide, c *decode.CertInfo) {
	if c.SHA256 != "" || c.SHA1 != "" {
		s.Hash = &ecsHash{SHA1: c.SHA1, SHA256: c.SHA256}
	}
	if c.Error != "" {
		return
	}
	s.Subject, s.Issuer = c.Subject, c.Issuer
	x := &ecsX509{PublicKeyAlgorithm: c.PublicKeyAlgorithm, PublicKeySize: c.PublicKeyBits,
		PublicKeyCurve: c.Curve, SerialNumber: c.SerialNumber, SignatureAlgorithm: c.SignatureAlgorithm}
	if !c.NotBefore.IsZero() {
		s.NotBefore, x.NotBefore = stamp(c.NotBefore), stamp(c.NotBefore)
	}
	if !c.NotAfter.IsZero() {
		s.NotAfter, x.NotAfter = stamp(c.NotAfter), stamp(c.NotAfter)
	}
	if c.Version != 0 {
		x.VersionNumber = strconv.Itoa(c.Version)
	}
	x.Subject, x.Issuer = ecsNameOf(c.Subject), ecsNameOf(c.Issuer)
	for _, l := range [][]string{c.DNSNames, c.IPAddresses, c.EmailAddresses, c.URIs} {
		x.AlternativeNames = append(x.AlternativeNames, l...)
	}
	s.X509 = x
}

// curveName is the group of the key exchange: the ServerKeyExchange's
// named group (TLS 1.2 and before), else the ServerHello's key_share
// (TLS 1.3); "" when neither names one.
func curveName(r *flows.Result) string {
	if ske := r.ServerKeyExchange; ske != nil && ske.NamedGroup != 0 {
		return ske.NamedGroup.String()
	}
	if sh := r.ServerHello; sh != nil && sh.KeyShareGroup != 0 {
		return sh.KeyShareGroup.String()
	}
	return ""
}
