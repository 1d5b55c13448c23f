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
// (the info is the HkdfLabel of "tls13 traffic upd", empty context; for
// SHA-256, digest:SHA2-256 and a length of 0x0020). The SHA-384 secret is
// CLIENT_TRAFFIC_SECRET_0 of testdata/pcaps/39-tls13-keylog-keyupdate.keys,
// whose records after the client's KeyUpdate cmd/hsdecode's
// TestKeyLogFollow decrypts with the result; the SHA-256 one is its first
// half.
func TestNextTrafficSecret(t *testing.T) {
	for _, tt := range []struct {
		h            crypto.Hash
		secret, next string
	}{
		{crypto.SHA384,
			"1264ec2cd71e119bce6251634b552902c2743e92ae4e66beaf07d9876a7bf4f831ebfc45dbdf238781951ba4d506150b",
			"011908ccad37c3b47f0da7eeec23c1864a09dfae6a25cd29e6fe1d83639ddc1543cdcaefc97af0f2c46e4075a91d88ec"},
		{crypto.SHA256,
			"1264ec2cd71e119bce6251634b552902c2743e92ae4e66beaf07d9876a7bf4f8",
			"64d9948a3f662920817b27811769bd9171e9d01518b0b860e5b147bf6f698b55"},
	} {
		secret, _ := hex.DecodeString(tt.secret)
		if got := hex.EncodeToString(NextTrafficSecret(tt.h, secret)); got != tt.next {
			t.Errorf("%v: next secret %s, want %s", tt.h, got, tt.next)
		}
	}
}
