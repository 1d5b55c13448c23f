// Package diagnose says why a connection's handshake failed, or what a
// finding on an established one means: one sentence of cause, the
// evidence it rests on and a hint, built only from what the capture
// shows (docs/diagnosis.md). It fills flows.Result.Diagnosis.
//
// A Diagnoser sees the results in the order they are reported and keeps,
// for the most recent servers that completed handshakes, what they chose
// (version, suite, group, ALPN, names): the evidence a failure with one
// client gets from the successes with others. That evidence covers only
// the connections reported before the one diagnosed, so each diagnosis
// is final when written, and the same for any --workers since results
// reach it in start order for files (live, in the order the workers hand
// them over).
//
// It is a stage of hsdecode's pipeline, fed by cmd/hsdecode before the
// writers; it knows nothing of packets or output formats, and its codes
// are a public interface (docs/diagnosis.md) while its Go API is not.
package diagnose
