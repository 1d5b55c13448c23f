package decode

import (
	"encoding/asn1"
	"strconv"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CertificateStatus carries a stapled OCSP response (RFC 6066, Section 8)
// or a list of them (RFC 6961, Section 2.2). ResponseLength is the length
// of the response, or of the whole list for ocsp_multi. OCSP holds what
// the responses say: one for ocsp, one per list entry (at most
// MaxChainCertificates) for ocsp_multi.
type CertificateStatus struct {
	StatusType     CertificateStatusType
	ResponseLength int
	OCSP           []OCSPResponse
}

// OCSPResponse is what a stapled OCSP response (RFC 6960, Section 4.2.1)
// says about the first certificate it covers. Error is set when its DER
// does not parse; the handshake message is still well formed.
type OCSPResponse struct {
	Length int
	// Status is the OCSPResponseStatus ("successful", "tryLater", ...).
	Status string
	// For a successful basic response: when it was produced, how many
	// certificates it covers, and the first one's status ("good",
	// "revoked", "unknown"), its revocation time and validity.
	ProducedAt time.Time
	Responses  int
	CertStatus string
	RevokedAt  time.Time
	ThisUpdate time.Time
	NextUpdate time.Time
	Error      string
}

// Type returns HandshakeCertificateStatus.
func (m *CertificateStatus) Type() HandshakeType { return HandshakeCertificateStatus }

// parseCertificateStatus parses status_type and then OCSPResponse
// ocsp_response<1..2^24-1> (ocsp) or OCSPResponse
// ocsp_response_list<1..2^24-1>, each OCSPResponse<0..2^24-1> (ocsp_multi).
func parseCertificateStatus(body []byte) (Message, error) {
	s := cryptobyte.String(body)
	m := new(CertificateStatus)
	var resp cryptobyte.String
	if !s.ReadUint8((*uint8)(&m.StatusType)) {
		return nil, errTruncated
	}
	if m.StatusType != StatusTypeOCSP && m.StatusType != StatusTypeOCSPMulti {
		return nil, parseError("unknown status_type")
	}
	if !s.ReadUint24LengthPrefixed(&resp) {
		return nil, errTruncated
	}
	if !s.Empty() {
		return nil, errTrailing
	}
	if len(resp) == 0 {
		return nil, parseError("empty response")
	}
	m.ResponseLength = len(resp)
	if m.StatusType == StatusTypeOCSP {
		m.OCSP = []OCSPResponse{parseOCSPResponse(resp)}
		return m, nil
	}
	for !resp.Empty() {
		var one cryptobyte.String
		if !resp.ReadUint24LengthPrefixed(&one) {
			return nil, errTruncated
		}
		if len(m.OCSP) < MaxChainCertificates {
			m.OCSP = append(m.OCSP, parseOCSPResponse(one))
		}
	}
	return m, nil
}

// ocspStatus names OCSPResponseStatus values (RFC 6960, Section 4.2.1).
var ocspStatus = map[int]string{
	0: "successful",
	1: "malformedRequest",
	2: "internalError",
	3: "tryLater",
	5: "sigRequired",
	6: "unauthorized",
}

// oidOCSPBasic is id-pkix-ocsp-basic (RFC 6960, Section 4.2.1).
var oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}

// parseOCSPResponse reads an OCSPResponse:
//
//	OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED,
//	    responseBytes [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING } OPTIONAL }
//	BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, ... }
//	ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID CHOICE,
//	    producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse, ... }
//	SingleResponse ::= SEQUENCE { certID CertID, certStatus CHOICE { good [0] IMPLICIT NULL,
//	    revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL },
//	    thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, ... }
func parseOCSPResponse(der []byte) OCSPResponse {
	r := OCSPResponse{Length: len(der)}
	if len(der) == 0 {
		return r // an ocsp_multi entry for a certificate without a response
	}
	fail := func(what string) OCSPResponse {
		r.Error = "OCSP response: " + what
		return r
	}
	s := cryptobyte.String(der)
	var resp, rbOuter, rb, basicDER, basic, tbs, responses, single cryptobyte.String
	var status int
	var hasBytes bool
	if !s.ReadASN1(&resp, casn1.SEQUENCE) || !resp.ReadASN1Enum(&status) {
		return fail("no OCSPResponse")
	}
	if n, ok := ocspStatus[status]; ok {
		r.Status = n
	} else {
		r.Status = "unknown_" + strconv.Itoa(status)
	}
	if !resp.ReadOptionalASN1(&rbOuter, &hasBytes, casn1.Tag(0).Constructed().ContextSpecific()) {
		return fail("bad responseBytes")
	}
	if !hasBytes {
		return r
	}
	var oid asn1.ObjectIdentifier
	if !rbOuter.ReadASN1(&rb, casn1.SEQUENCE) || !rb.ReadASN1ObjectIdentifier(&oid) ||
		!rb.ReadASN1(&basicDER, casn1.OCTET_STRING) {
		return fail("bad responseBytes")
	}
	if !oid.Equal(oidOCSPBasic) {
		return fail("response type " + oid.String())
	}
	if !basicDER.ReadASN1(&basic, casn1.SEQUENCE) || !basic.ReadASN1(&tbs, casn1.SEQUENCE) {
		return fail("bad BasicOCSPResponse")
	}
	var responderID cryptobyte.String
	var responderTag casn1.Tag
	if !tbs.SkipOptionalASN1(casn1.Tag(0).Constructed().ContextSpecific()) || !tbs.ReadAnyASN1(&responderID, &responderTag) ||
		!tbs.ReadASN1GeneralizedTime(&r.ProducedAt) || !tbs.ReadASN1(&responses, casn1.SEQUENCE) {
		return fail("bad ResponseData")
	}
	first := true
	for !responses.Empty() {
		if !responses.ReadASN1(&single, casn1.SEQUENCE) {
			return fail("bad SingleResponse")
		}
		r.Responses++
		if !first {
			continue
		}
		first = false
		if !single.SkipASN1(casn1.SEQUENCE) {
			return fail("bad CertID")
		}
		var tag casn1.Tag
		var cs cryptobyte.String
		if !single.ReadAnyASN1(&cs, &tag) {
			return fail("bad certStatus")
		}
		switch tag {
		case casn1.Tag(0).ContextSpecific():
			r.CertStatus = "good"
		case casn1.Tag(1).Constructed().ContextSpecific():
			r.CertStatus = "revoked"
			if !cs.ReadASN1GeneralizedTime(&r.RevokedAt) {
				return fail("bad RevokedInfo")
			}
		case casn1.Tag(2).ContextSpecific():
			r.CertStatus = "unknown"
		default:
			return fail("bad certStatus")
		}
		var next cryptobyte.String
		var hasNext bool
		if !single.ReadASN1GeneralizedTime(&r.ThisUpdate) ||
			!single.ReadOptionalASN1(&next, &hasNext, casn1.Tag(0).Constructed().ContextSpecific()) {
			return fail("bad SingleResponse times")
		}
		if hasNext && !next.ReadASN1GeneralizedTime(&r.NextUpdate) {
			return fail("bad nextUpdate")
		}
	}
	return r
}
