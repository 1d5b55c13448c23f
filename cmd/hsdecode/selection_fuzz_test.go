package main

import (
	"path/filepath"
	"testing"

	"github.com/hsdecode/hsdecode/flows"
	"github.com/hsdecode/hsdecode/reassembly"
)

// FuzzSelection: any values of --outcome, --server, --sni and --id are
// either refused or select without a panic, and a server given as a
// connection's own address and port, or its SNI given as it is, keeps
// that connection. Seeds in testdata/fuzz/FuzzSelection are the forms
// the README shows.
func FuzzSelection(f *testing.F) {
	var results []flows.Result
	for _, name := range []string{"18-ipv6-tls13.pcap", "64-diag-nothing-in-common.pcap", "69-diag-no-sni.pcap"} {
		an, err := analyze(filepath.Join(pcapDir, name), flows.Options{}, reassembly.Options{})
		if err != nil {
			f.Fatal(err)
		}
		results = append(results, an.results...)
	}
	f.Fuzz(func(t *testing.T, outcome, server, sni, id string) {
		given := map[string]string{"outcome": outcome, "server": server, "sni": sni, "id": id}
		sel, err := parseSelection(func(name string) (string, bool) {
			v := given[name]
			return v, v != ""
		}, 0)
		if err != nil {
			return
		}
		for i := range results {
			sel.keep(&results[i])
		}
		for i := range results {
			r := &results[i]
			own, err := parseSelection(func(name string) (string, bool) {
				switch name {
				case "server":
					return r.Server.String(), true
				case "sni":
					return r.ServerName, true
				}
				return "", false
			}, 0)
			if err != nil || !own.keep(r) {
				t.Fatalf("--server %s --sni %q: %v, or not kept", r.Server, r.ServerName, err)
			}
		}
	})
}
