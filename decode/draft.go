package decode

// TLS 1.3 went through 28 drafts before RFC 8446, and stacks shipped
// several of them (NSS, BoringSSL, OpenSSL 1.1.1 betas, Facebook's fizz),
// so that captures of them exist: their versions and message layouts are
// read here as Wireshark reads them.
//
// A draft's version is 0x7f00 | draft (draft-ietf-tls-tls13-28, Section
// 4.2.1); Facebook's fizz named two of its own, 0xfb17 and 0xfb1a, for
// drafts 23 and 26. What differs on the wire, as far as a passive reader
// sees it:
//   - up to draft 21 the ServerHello has no legacy_session_id_echo nor
//     legacy_compression_method, and its version field is the draft's
//     (server_hello.go); from draft 22 on it has the final layout, the
//     version in supported_versions;
//   - up to draft 21 the HelloRetryRequest is its own message, type 6
//     (hello_retry_request.go);
//   - up to draft 22 key_share is extension 40, 51 from draft 23 on
//     (ExtKeyShareOld);
//   - up to draft 18 the end of 0-RTT data is an alert, end_of_early_data
//     (1), not a handshake message: encrypted, so a passive reader never
//     sees the difference.

// fizzDrafts are the drafts of Facebook fizz's own versions.
var fizzDrafts = map[Version]int{0xfb17: 23, 0xfb1a: 26}

// TLS13Draft returns the TLS 1.3 draft v stands for, and whether it is
// one: 0x7f00 | draft, or one of fizz's versions.
func (v Version) TLS13Draft() (int, bool) {
	if v>>8 == 0x7f {
		return int(v & 0xff), true
	}
	if v>>8 != 0xfb {
		return 0, false // the common case, without a map lookup
	}
	n, ok := fizzDrafts[v]
	return n, ok
}

// IsTLS13 reports whether v is TLS 1.3 or one of its drafts, which
// follow the same order of messages.
func (v Version) IsTLS13() bool {
	_, draft := v.TLS13Draft()
	return v == VersionTLS13 || draft
}

// isEarlyDraft13 reports whether v is the version of TLS 1.3 drafts 0 to
// 21, whose ServerHello and HelloRetryRequest have their own layouts.
func isEarlyDraft13(v Version) bool {
	n, ok := v.TLS13Draft()
	return ok && n <= 21
}
