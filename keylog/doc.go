// Package keylog holds TLS key material: secrets read from NSS key logs
// (the SSLKEYLOGFILE format that browsers, curl, OpenSSL's s_client
// -keylogfile, Go's tls.Config.KeyLogWriter and Wireshark read and write),
// indexed by the ClientHello random of the connection they belong to.
//
// A Log is filled from key log files (Load), from any reader (Parse: a
// pcapng Decryption Secrets Block, which package capture hands on as
// bytes), or from a file that is still being written (Follow: a test
// harness or a browser writing keys while hsdecode captures). Lookup finds
// a connection's secrets by its client random; it is safe to call from
// any number of goroutines while a Follower adds to the Log.
//
// Every label of the format is read: CLIENT_RANDOM (the TLS 1.0 to 1.2
// master secret, 48 bytes) and the TLS 1.3 secrets
// (CLIENT_EARLY_TRAFFIC_SECRET, CLIENT_HANDSHAKE_TRAFFIC_SECRET,
// SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT_TRAFFIC_SECRET_0,
// SERVER_TRAFFIC_SECRET_0, EARLY_EXPORTER_SECRET, EXPORTER_SECRET: 32 or
// 48 bytes, the length of the suite's hash). Comments and blank lines are
// skipped; RSA lines (a premaster secret keyed by its encryption, which
// says nothing about which connection it belongs to without the
// ClientKeyExchange) and labels it does not know are counted and skipped.
// A malformed line is counted and skipped, and the first one is named with
// its line number: a bad line never stops a load.
//
// It does not derive keys or decrypt anything (that is package decode,
// given a Secrets), check that a secret fits the connection it is filed
// under, or forget secrets: a Log only grows, by a few dozen bytes per
// secret (see TestLoadMillionLinesMemory).
package keylog
