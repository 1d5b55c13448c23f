package flows

import (
	"fmt"
	"time"

	"github.com/hsdecode/hsdecode/decode"
	"github.com/hsdecode/hsdecode/stream"
)

// The ladder, and the records that are not handshake messages:
// ChangeCipherSpec, alerts and application data.

// record appends a message to the ladder. Opaque TLS 1.3 records are listed
// only until the handshake is decided, so bulk data does not fill it, and
// what follows the verdict (a violation's included) up to maxFollowed
// entries.
func (t *Tracker) record(d *sideState, k kind, length int, encrypted bool, ts time.Time) {
	if t.decided() {
		if k == kindEncrypted || t.followedFull() {
			return
		}
		t.followed++
	}
	if t.res.Messages == nil {
		t.res.Messages = make([]Message, 0, 16) // a whole TLS 1.2 or 1.3 ladder
	}
	t.res.Messages = append(t.res.Messages, Message{TS: ts, From: d.role, Type: k.String(), Length: length, Encrypted: encrypted})
}

// changeCipherSpec takes a ChangeCipherSpec, which may also be the server's
// sign that it resumes a session (chooseMode).
func (t *Tracker) changeCipherSpec(d *sideState, ts time.Time) {
	t.record(d, kindChangeCipherSpec, 0, false, ts)
	if t.judging() && (!t.chooseMode(d, kindChangeCipherSpec, ts) || !t.step(d, kindChangeCipherSpec, ts)) {
		return
	}
	d.ccs++
	// After its CCS a side's handshake records are its encrypted
	// Finished (RFC 5246, 7.1); TLS 1.3 protects records as type 23
	// instead, and its compatibility CCS changes nothing (RFC 8446, D.4).
	if !t.judging() || (t.res.ServerHello != nil && t.mode != modeTLS13) {
		d.dec.SetEncrypted()
		if t.t12 != nil {
			i := roleIndex(d.role)
			t.t12.protected[i], t.t12.nullMAC[i] = true, t.t12.pendingNull
		}
	}
}

// alertNoCertificate is SSL 3.0's no_certificate alert (RFC 6101, 5.4.6),
// which TLS dropped from its registry's live values.
const alertNoCertificate decode.AlertDescription = 41

func (t *Tracker) alert(d *sideState, ev decode.Event, ts time.Time) {
	d.alerted = true
	if t.followedFull() {
		return
	}
	t.record(d, kindAlert, 0, ev.Kind == decode.EventEncryptedAlert, ts)
	a := Alert{TS: ts, From: d.role, Encrypted: ev.Kind == decode.EventEncryptedAlert}
	if !a.Encrypted {
		a.Level, a.Description = ev.Alert.Level, ev.Alert.Description
	}
	t.res.Alerts = append(t.res.Alerts, a)
	if t.established {
		return
	}
	switch {
	case a.Level == decode.AlertLevelFatal, a.Encrypted && t.judging():
		// A fatal alert ends the handshake; an encrypted one before the
		// handshake is established can only be its end too. Seen in a
		// capture that began mid-connection, an encrypted alert is most
		// likely the close_notify of an established one.
		t.fatal = true
	case d.role == Client && a.Description == alertNoCertificate:
		t.noCertificateAlert = true // SSL 3.0 (RFC 6101, 5.4.6)
		if t.certRequested {
			t.res.ClientCertificate = ClientCertMissing
		}
	}
}

func (t *Tracker) applicationData(d *sideState, ev decode.Event, ts time.Time) {
	d.appData = true
	if !t.judging() {
		return
	}
	ch := t.res.ClientHello
	switch {
	case t.mode == modeTLS13 && d.role == Client && d.encrypted == 0 && ev.Length == tls13AlertLength &&
		t.info.Transport != stream.TransportQUIC: // a QUIC packet's length is no record's (flows/quic.go)
		// The client's first protected record cannot be its Finished,
		// which needs at least 4+32+1+16 bytes (RFC 8446, 4.4.4): it is
		// an alert, how a client rejects the server's certificate.
		t.alert(d, decode.Event{Kind: decode.EventEncryptedAlert, Length: ev.Length}, ts)
	case t.mode == modeTLS13:
		t.record(d, kindEncrypted, ev.Length, true, ts)
		if !t.step(d, kindEncrypted, ts) {
			return
		}
		d.encrypted++
		t.tls13Progress(d, ev.Length)
	case t.res.ServerHello == nil && d.role == Client && ch != nil && ch.EarlyData:
		// 0-RTT data may follow a ClientHello with early_data (RFC 8446, 2.3).
		n := len(t.res.Messages)
		t.record(d, kindEncrypted, ev.Length, true, ts)
		t.markEarly(n)
	case !d.finished:
		t.record(d, kindApplicationData, ev.Length, false, ts)
		if len(t.res.Violations) > 0 {
			return // listed, not judged
		}
		rfc := "RFC 5246, 7.4.9"
		if t.res.ServerHello == nil && t.offers13() {
			rfc = "RFC 8446, 4.2.10: its ClientHello offered no early_data"
		}
		t.violate(d, CodeApplicationDataBeforeFinished, kindApplicationData.String(), t.expected(d),
			fmt.Sprintf("%s sent application data before its Finished (%s)", d.role, rfc), ts)
	}
}
