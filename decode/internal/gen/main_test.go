package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedFileIsCurrent fails when registry_gen.go was edited by hand
// or a CSV changed without go generate.
func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := generate("../iana")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../registry_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("decode/registry_gen.go is stale: run go generate ./decode")
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		in, want     string
		dropReserved bool
		ok           bool
	}{
		{"server_name", "server_name", false, true},
		{`supported_groups (renamed from "elliptic_curves")`, "supported_groups", false, true},
		{"connection_id (deprecated)", "connection_id_deprecated", false, true},
		{"X25519Kyber768Draft00 (OBSOLETE)", "X25519Kyber768Draft00", false, true},
		{"decryption_failed_RESERVED", "decryption_failed", true, true},
		{"hello_retry_request_RESERVED", "hello_retry_request_RESERVED", false, true},
		{"Reserved", "", false, false},
		{"Reserved for Private Use", "", false, false},
		{"Unassigned", "", false, false},
	}
	for _, tt := range tests {
		got, ok := clean(tt.in, tt.dropReserved)
		if got != tt.want || ok != tt.ok {
			t.Errorf("clean(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
