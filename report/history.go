package report

import (
	"strings"

	"github.com/hsdecode/hsdecode/flows"
)

// historyLetters are Zeek's ssl_history letters (zeek/zeek
// scripts/base/protocols/ssl/main.zeek), upper case for the client.
var historyLetters = map[string]byte{
	"hello_request":        'H',
	"client_hello":         'C',
	"server_hello":         'S',
	"hello_verify_request": 'V',
	"new_session_ticket":   'T',
	"end_of_early_data":    'E',
	"encrypted_extensions": 'O',
	"certificate":          'X',
	"server_key_exchange":  'K',
	"certificate_request":  'R',
	"server_hello_done":    'N',
	"certificate_verify":   'Y',
	"client_key_exchange":  'G',
	"finished":             'F',
	"certificate_url":      'W',
	"certificate_status":   'U',
	"supplemental_data":    'A',
	"key_update":           'P',
	"message_hash":         'M',
	"hello_retry_request":  'J',
	"change_cipher_spec":   'I',
	"alert":                'L',
	"heartbeat":            'B',
}

// History renders the plaintext part of the ladder in Zeek's letters. Like
// Zeek, it leaves out what travels encrypted (the TLS 1.2 Finished, TLS 1.3
// records, encrypted alerts, and what keys decrypted of them), so the two
// can be compared directly.
func History(r *flows.Result) string {
	var b strings.Builder
	for _, m := range r.Messages {
		if m.Encrypted || m.Decrypted || m.Type == flows.TypeApplicationData {
			continue
		}
		c, ok := historyLetters[m.Type]
		if !ok {
			c = 'Z'
		}
		if m.From == flows.Server {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}
