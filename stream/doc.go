// Package stream holds the types that cross from TCP reassembly to the
// handshake tracker: the two sides of a connection, what a new connection
// is (ConnInfo), how a side or a connection ends (EndReason), and the
// Stream interface a consumer of one connection's byte streams implements,
// with the Factory that makes one per connection.
//
// It is a leaf: package reassembly (which feeds a Stream from captured
// packets, with gopacket) and package flows (which implements it) both
// import it, and neither imports the other, so flows and report carry no
// gopacket code (TestNoGopacket in cmd/hsdecode says so).
package stream
