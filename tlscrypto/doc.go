// Package tlscrypto holds the cryptography a passive observer needs to read
// the encrypted part of a TLS handshake once it has key material: pure
// functions and small state over bytes.
//
// What it does: cipher suite descriptions (LookupSuite); the TLS 1.3 key
// schedule (HKDF-Expand-Label, Derive-Secret, traffic keys, KeyUpdate's next
// secret, finished_key and verify_data, RFC 8446 Sections 4.4.4 and 7); the
// TLS 1.0-1.2 PRF, key block and Finished verify_data (RFC 2246, RFC 5246);
// record decryption for one direction (Decrypter) with AES-GCM,
// ChaCha20-Poly1305, AES-CCM and CCM_8 (implemented here, as the standard
// library has none), AES and 3DES CBC with HMAC-MD5/SHA1/SHA256/SHA384 and
// encrypt_then_mac (RFC 7366), RC4, and NULL suites read in clear with
// their MAC checked; and a Transcript that buffers handshake messages until
// the hash is known and applies HelloRetryRequest's message_hash.
//
// What it does not: SSL 3.0 (its MAC, key block and Finished differ and no
// capture at hand needs them), Camellia, ARIA, SEED and other ciphers
// without a maintained Go implementation (LookupSuite says
// ErrUnsupportedSuite), key log parsing, record framing, and judging what a
// decrypted message means. Like package decode it holds no goroutines,
// clocks or mutable globals.
//
// Who feeds it: the flows stage, given secrets from a key log per client
// random, derives a Decrypter per direction, decrypts each protected record
// that decode frames, feeds the handshake messages to a Transcript, and
// compares each Finished with FinishedVerifyData or FinishedVerifyData13.
// Errors are values: ErrBadRecordMAC, ErrRecordOverflow and
// ErrUnexpectedRecord map to the alerts of the same names.
package tlscrypto
