package report

import "fmt"

// EndLog closes the log as Close does, and leaves the writer to begin a
// new one, header first, at the next Write: what Zeek writes when it
// rotates a log.
func (z *ZeekWriter) EndLog() error {
	if !z.opened {
		return nil
	}
	fmt.Fprintf(z.w, "#close\t%s\n", z.last.UTC().Format(zeekTimeLayout))
	z.opened = false
	return z.w.Flush()
}
