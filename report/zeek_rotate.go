package report

// EndLog closes the log as Close does, and leaves the writer to begin a
// new one, header first, at the next Write: what Zeek writes when it
// rotates a log.
func (z *ZeekWriter) EndLog() error { return z.log.end() }
