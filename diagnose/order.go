package diagnose

import (
	"fmt"
	"strings"

	"github.com/hsdecode/hsdecode/flows"
)

// Order violations and what keys tell (docs/diagnosis.md, "Order" and
// "With keys").

// keyViolation diagnoses a Finished or a record that did not verify with
// keys that decrypted the connection.
func (c *conn) keyViolation() *flows.Diagnosis {
	r := c.r
	for _, v := range r.Violations {
		switch v.Code {
		case flows.CodeBadFinished:
			return &flows.Diagnosis{Code: CodeBadFinished,
				Cause: fmt.Sprintf("The %s's Finished does not match the handshake the capture shows: the handshake was altered in transit, or the key log's secrets for this client random belong to another session.", v.From),
				Evidence: append([]string{v.Detail,
					fmt.Sprintf("the %s's Finished record decrypted and authenticated with the key log's keys, so they are this connection's traffic keys", v.From)},
					peerAnswer(r, v.From)...),
				Hint: "If the key log is the client's own for this capture, a middlebox changed the handshake messages between the peers: capture next to each peer and compare the hellos."}
		case flows.CodeBadRecordMAC:
			return &flows.Diagnosis{Code: CodeBadRecordMAC,
				Cause:    fmt.Sprintf("A record from the %s failed authentication after earlier records of the connection decrypted with the same keys: it was altered or injected in transit.", v.From),
				Evidence: append([]string{v.Detail}, peerAnswer(r, v.From)...),
				Hint:     "Look for a middlebox or a faulty NIC offload between the peers; a capture on each side shows where the bytes change."}
		}
	}
	return nil
}

// peerAnswer is the evidence of what the peer said after a violation.
func peerAnswer(r *flows.Result, from flows.Role) []string {
	for i := range r.Alerts {
		if a := &r.Alerts[i]; a.From != from {
			return []string{"the " + string(a.From) + " answered with " + alertName(a, alertDecrypted(r, i))}
		}
	}
	return nil
}

// usualOrderCause is the usual cause of a violation, by its code and the
// message that broke the order.
func usualOrderCause(v *flows.Violation) string {
	switch {
	case v.Code == flows.CodeMissingMessage && v.From == flows.Client && strings.Contains(strings.Join(v.Expected, " "), "certificate_verify"),
		v.Code == flows.CodeUnexpectedMessage && v.From == flows.Client && v.Got == "change_cipher_spec" && strings.Contains(strings.Join(v.Expected, " "), "certificate_verify"):
		return "a client that sent a certificate and skips CertificateVerify: it could not sign with the certificate's key (a missing key, a token that failed)"
	case v.Got == "certificate_verify" && v.From == flows.Client:
		return "a client that signs without having sent a certificate: a broken client stack"
	case v.From == flows.Server && (v.Code == flows.CodeMissingMessage || v.Code == flows.CodeUnexpectedMessage) &&
		(v.Got == "server_hello_done" || v.Got == "server_key_exchange"):
		return "a middlebox that strips messages from the server's flight, or a server stack that skips one its suite requires"
	case v.Code == flows.CodeDuplicateMessage:
		return "a middlebox that replays a message, or a broken stack that sends it twice"
	case v.Code == flows.CodeApplicationDataBeforeFinished:
		return "a peer that sends data before the handshake finished: False Start where it was not agreed, or early data that was not offered"
	case v.Code == flows.CodeUnexpectedChangeCipherSpec:
		return "an early ChangeCipherSpec, the shape of the CCS injection attack (CVE-2014-0224), or a broken middlebox"
	case v.Code == flows.CodeVersionMismatch:
		return "a version the client did not offer: a broken middlebox or server"
	case isMalformed(v.Code):
		return "bytes that are not valid TLS: a broken stack, a middlebox that altered them, or another protocol on this port"
	}
	return ""
}

func isMalformed(c flows.Code) bool {
	return c == flows.CodeMalformedRecord || c == flows.CodeMalformedHandshake || c == flows.CodeRecordOverflow || c == flows.CodeUnknownContentType
}

// orderViolation diagnoses the first violation of the order.
func (c *conn) orderViolation() *flows.Diagnosis {
	r := c.r
	if len(r.Violations) == 0 {
		return nil
	}
	v := &r.Violations[0]
	d := &flows.Diagnosis{Code: CodeOrderViolation, Evidence: []string{v.Detail}}
	if isMalformed(v.Code) {
		d.Code = CodeMalformedTLS
		d.Cause = fmt.Sprintf("The %s sent %s that does not parse as TLS (%s).", v.From, article(v.Got), v.Code)
	} else if len(v.Expected) > 0 {
		d.Cause = fmt.Sprintf("The %s sent %s where the RFC requires %s (%s).", v.From, v.Got, strings.Join(v.Expected, " or "), v.Code)
	} else {
		d.Cause = fmt.Sprintf("The %s sent %s where the RFC allows nothing of the kind (%s).", v.From, v.Got, v.Code)
	}
	if u := usualOrderCause(v); u != "" {
		d.Evidence = append(d.Evidence, "the usual cause: "+u)
	}
	d.Evidence = append(d.Evidence, peerAnswer(r, v.From)...)
	d.Hint = fmt.Sprintf("Capture next to the %s: if its messages are in order there, a middlebox in between changes them; if not, its TLS stack is at fault.", v.From)
	return d
}

func article(s string) string {
	if s == "" {
		return "bytes"
	}
	return "a " + s
}
