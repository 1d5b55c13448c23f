// Package flows checks each TCP connection's TLS handshake against the order
// of docs/handshake-order.md and concludes one outcome per connection.
//
// A Tracker is the reassembly consumer of one connection: it feeds each
// direction's bytes to a decode.Stream, walks the typed messages through the
// order tables of order.go, and records messages, alerts and violations. A
// Collector makes the trackers and queues their Results as connections
// close, or as they are decided (Options.AsDecided), for package pipeline
// to drain and put in order.
//
// flows knows nothing of packets (reassembly delivers bytes) nor of output
// formats (report prints a Result). It is deterministic: the same bytes in
// the same order give the same Result.
//
// Its API is a stage of hsdecode's pipeline (docs/design.md): exported for
// cmd/hsdecode and documented, but changed with what hsdecode needs, with
// no promise of stability to other programs; decode is the package meant
// for them.
//
// Where things are: tracker.go is the Tracker, the stream.Stream
// methods and the dispatch of each event by its kind; side.go one side's
// state and phase; roles.go who the client is; prelude.go where a side's
// TLS begins, starttls.go what spoke in clear before it; handshake.go, records.go and details.go what each message
// does; judge.go the walk through the order tables, which are kinds.go
// (what fills a slot), order.go (the flights), needs.go and suites.go (what
// the hellos make required or forbidden); tls13.go the keyless TLS 1.3
// rule; keys.go the key store a Collector is given, tls13_keys.go TLS 1.3
// decrypted with it (its records, messages, Finished, and the wait for keys
// still being written), tls13_post.go what follows its Finished with
// Options.Follow (post13, KeyUpdate, post-handshake authentication),
// tls12_keys.go TLS 1.0-1.2 protected records (decrypted, or a NULL
// suite's in clear) and renegotiation.go what follows a TLS 1.0-1.2
// handshake; gap.go lost bytes; emit.go the outcome and the handover.
package flows
