package report

import "unicode/utf8"

// Escape makes a string from the wire or from an input file safe to print
// on a terminal, as tshark and less show such bytes: printable UTF-8 is
// kept as it is; the C0 controls, DEL, the C1 controls (U+0080-U+009F)
// and every byte that is not part of valid UTF-8 become \xNN, one per
// byte, but for \n, \r and \t; a backslash becomes \\, so that no string
// can pass for an escape. The bidirectional formatting characters
// (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069: the reordering
// of "Trojan Source", CVE-2021-42574) and the line and paragraph
// separators U+2028 and U+2029 become \uNNNN: they would rearrange or
// break the line around them while showing nothing themselves. Other
// characters, invisible or not, are left: they cannot move the cursor or
// hide what follows.
//
// Every text surface applies it to each string it did not write itself
// (SNI, ALPN, certificate names, file names, baseline content, ...); our
// own words, numbers and registry names never need it. A string with
// nothing to escape is returned as it is, without allocating.
func Escape(s string) string { return escape(s, false) }

// escapeDN is Escape for a distinguished name as decode writes it (RFC
// 4514: certificate subjects and issuers, certificate_authorities), but
// that it keeps backslashes as they are: every backslash there already
// begins an RFC 4514 escape ("\,", "\\", "\1B" for ESC), so none can
// pass for one of ours, and doubling it would show "\\1B".
func escapeDN(s string) string { return escape(s, true) }

func escape(s string, dn bool) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f && (c != '\\' || dn) {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if escapedRune(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	b = append(b, s[:i]...)
	return string(appendEscaped(b, s[i:], dn))
}

// appendEscaped appends s escaped as Escape, or with dn escapeDN, says.
func appendEscaped(b []byte, s string, dn bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\\' && !dn:
				b = append(b, '\\', '\\')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'x', lowerHex[c>>4], lowerHex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case size == 1 || (r >= 0x80 && r <= 0x9f):
			// Invalid UTF-8 or a C1 control: its bytes, as they came.
			for _, c := range []byte(s[i : i+size]) {
				b = append(b, '\\', 'x', lowerHex[c>>4], lowerHex[c&0xf])
			}
		case escapedRune(r, size):
			b = append(b, '\\', 'u', lowerHex[r>>12], lowerHex[r>>8&0xf], lowerHex[r>>4&0xf], lowerHex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// escapedRune says a rune decoded from size bytes (at least 2, or 1 for
// an invalid byte) is escaped.
func escapedRune(r rune, size int) bool {
	switch {
	case size == 1: // utf8.RuneError from a byte that is not UTF-8
		return true
	case r >= 0x80 && r <= 0x9f,
		r == 0x061c, r == 0x200e, r == 0x200f,
		r >= 0x202a && r <= 0x202e,
		r >= 0x2066 && r <= 0x2069,
		r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
