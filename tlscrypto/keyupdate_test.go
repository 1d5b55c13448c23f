package tlscrypto

import (
	"crypto"
	"encoding/hex"
	"testing"
)

// TestNextTrafficSecret checks application_traffic_secret_N+1 (RFC 8446,
// Section 7.2) against OpenSSL's HKDF computed apart from this package:
//
//	openssl kdf -keylen 48 -kdfopt digest:SHA2-384 -kdfopt mode:EXPAND_ONLY \
//		-kdfopt hexkey:SECRET -kdfopt hexinfo:003011746c73313320747261666669632075706400 HKDF
//
// (the info is the HkdfLabel of "tls13 traffic upd", empty context). The
// SHA-384 secret is CLIENT_TRAFFIC_SECRET_0 of
// testdata/pcaps/39-tls13-keylog-keyupdate.keys, whose records after the
// client's KeyUpdate cmd/hsdecode's TestKeyLogFollow decrypts with the
// result.
func TestNextTrafficSecret(t *testing.T) {
	for _, tt := range []struct {
		h            crypto.Hash
		secret, next string
	}{
		{crypto.SHA384,
			"8396d8da033059ea50e7a0d0211219bbcda7b2e1a51dfc5cc9ef17910408d7864cfac44413486018d0d70fb3c974d732",
			"cefe26ae9d4a178e645c0b4185a69895e15523cbb2fe5be345406ceba6b5e8803e84b98c00adff31f7752ac6bfecd7cb"},
		{crypto.SHA256,
			"8396d8da033059ea50e7a0d0211219bbcda7b2e1a51dfc5cc9ef17910408d786",
			"485607a0130b066e7698ac16e531842777c87cd4a650dc77d1a5496284e412f8"},
	} {
		secret, _ := hex.DecodeString(tt.secret)
		if got := hex.EncodeToString(NextTrafficSecret(tt.h, secret)); got != tt.next {
			t.Errorf("%v: next secret %s, want %s", tt.h, got, tt.next)
		}
	}
}
