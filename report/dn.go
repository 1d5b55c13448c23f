package report

import "strings"

// dnAttributes reads back the attribute values of an RFC 4514 string as
// decode writes a certificate's subject and issuer (decode/certinfo.go,
// distinguishedName): RDNs separated by ',', the attributes of one by '+',
// each name=value with RFC 4514 Section 2.4's escapes (a backslash before
// a special character, \XX for a byte). Values written as '#' and hex
// (not a string in the certificate) are left out. The result is keyed by
// attribute name ("CN", "O", ...), values in the string's order.
func dnAttributes(dn string) map[string][]string {
	out := map[string][]string{}
	var name, val strings.Builder
	inValue, hexValue := false, false
	end := func() {
		if inValue && !hexValue && name.Len() > 0 {
			out[name.String()] = append(out[name.String()], val.String())
		}
		name.Reset()
		val.Reset()
		inValue, hexValue = false, false
	}
	for i := 0; i < len(dn); i++ {
		c := dn[i]
		switch {
		case c == '\\' && i+1 < len(dn):
			if i+2 < len(dn) && isHex(dn[i+1]) && isHex(dn[i+2]) {
				c = unhex(dn[i+1])<<4 | unhex(dn[i+2])
				i += 2
			} else {
				i++
				c = dn[i]
			}
		case c == ',' || c == '+':
			end()
			continue
		case c == '=' && !inValue:
			inValue = true
			hexValue = i+1 < len(dn) && dn[i+1] == '#'
			continue
		}
		if inValue {
			val.WriteByte(c)
		} else {
			name.WriteByte(c)
		}
	}
	end()
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
