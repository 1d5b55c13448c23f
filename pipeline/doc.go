// Package pipeline is the one owner of result order: it runs captured
// packets through reassembly and flows on one or more workers and hands
// the results out, pulled with Next, in a single order:
//
//   - StartOrder, for capture files: the order the connections began
//     (flows.Result.Seq), the same for any number of workers, holding back
//     only the results that wait for a connection begun earlier and still
//     open, within a share of the memory bound (past it the earliest held
//     leave early, and are counted: OutOfOrder);
//   - DecisionOrder, for live capture and pipes, whose input may not end
//     for hours: each result as soon as flows decides it, nothing held;
//     with several workers each hands its results over after every batch
//     (and signals Ready), so results decided at about the same time on
//     two workers come in the order the workers hand them over.
//
// The caller feeds packets (Packet, EndBatch, Expire, Flush) and pulls
// results (Next) on one goroutine; nothing is called back. With one worker
// everything runs on that goroutine; with more, Sharded's workers run
// beside it and their results wait for the next Next.
//
// It knows no output format: package report writes what Next hands out.
package pipeline
