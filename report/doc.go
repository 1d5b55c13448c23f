// Package report writes flows results for people and programs: a text
// ladder per connection, the JSON lines of docs/report.md, Elastic
// Common Schema documents, Zeek's ssl.log and x509.log (tab-separated or
// JSON), JUnit XML and a self-contained HTML page (its style and script in
// html/). Every connection carries its uid and Community ID (ids.go), the
// names other tools' records join on. It also judges
// them for a CI gate: Findings evaluates the rules --fail-on selects,
// Summary counts a run, and Baseline compares a run with an earlier JSON
// report.
//
// It knows the Result type of flows and nothing of how results were made;
// every format is written from the same Result, so adding one touches only
// this package and a flag.
//
// Its API is a stage of hsdecode's pipeline (docs/design.md): exported for
// cmd/hsdecode and documented, but changed with what hsdecode needs, with
// no promise of stability to other programs; decode is the package meant
// for them.
package report
