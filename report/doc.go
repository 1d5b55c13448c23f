// Package report writes flows results for people and programs: a text
// ladder per connection, and the JSON lines of shared/spec/report.md.
//
// It knows the Result type of flows and nothing of how results were made;
// every format is written from the same Result, so adding one touches only
// this package and a flag.
package report
