package report

import (
	"bufio"
	"bytes"
	_ "embed" // the page's style and script
	"fmt"
	"html"
	"io"
	"os"
	"sort"

	"github.com/hsdecode/hsdecode/flows"
)

// The page's style and script, inlined in every page: it opens with no
// network (docs/report.md, "The HTML report").
var (
	//go:embed html/page.css
	pageCSS string
	//go:embed html/page.js
	pageJS string
)

// HTMLWriter writes one self-contained HTML page: the outcome counts, a
// plot of outcomes and alerts over capture time, a table of connections
// with filters and, for each connection opened, its ladder drawn as a
// sequence diagram with its diagnosis. The connections are embedded once,
// as JSON in a <script type="application/json"> element, and the page's
// script draws from them on demand, so that a page of 100,000 stays
// usable. The page is written by Close: the connections wait in a
// temporary file, not in memory, as the JUnit writer's test cases do.
type HTMLWriter struct {
	w        io.Writer
	opt      Options
	files    []string // the inputs, in the order begun
	errs     []htmlInputError
	outcomes map[flows.Outcome]int64
	n        int64
	sum      *Summary
	base     *BaselineChanges
	spool    *os.File // the connections' JSON, comma-separated
	spoolW   *bufio.Writer
	buf      []byte // a connection's JSON, reused
	err      error  // the first error of the spool
}

type htmlInputError struct{ file, err string }

// NewHTMLWriter returns an HTMLWriter that writes the page to w on Close.
func NewHTMLWriter(w io.Writer, o Options) *HTMLWriter {
	return &HTMLWriter{w: w, opt: o, outcomes: map[flows.Outcome]int64{}}
}

// BeginFile notes the input the next connections come from.
func (h *HTMLWriter) BeginFile(path string) error {
	h.files = append(h.files, path)
	return h.err
}

// FileError records an input that could not be read, or broke off: the
// page lists them above the connections.
func (h *HTMLWriter) FileError(path string, err error) {
	h.errs = append(h.errs, htmlInputError{path, err.Error()})
}

// Write spools a connection's JSON.
func (h *HTMLWriter) Write(r *flows.Result, findings []Finding) error {
	if h.err != nil {
		return h.err
	}
	if h.spool == nil {
		if h.spool, h.err = os.CreateTemp("", "hsdecode-html-*.json"); h.err != nil {
			h.err = fmt.Errorf("html: %w", h.err)
			return h.err
		}
		h.spoolW = bufio.NewWriterSize(h.spool, 64<<10)
	}
	c := htmlConn{r: r, file: -1, findings: findings}
	if h.opt.MultiFile && len(h.files) > 0 {
		c.file = len(h.files) - 1
	}
	h.buf = h.buf[:0]
	if h.n > 0 {
		h.buf = append(h.buf, ",\n"...)
	}
	h.buf = appendHTMLConn(h.buf, &c)
	if _, err := h.spoolW.Write(h.buf); err != nil {
		h.err = fmt.Errorf("html: %w", err)
		return h.err
	}
	h.n++
	h.outcomes[r.Outcome]++
	return nil
}

// WriteSummary keeps the run's summary and the baseline comparison for
// Close.
func (h *HTMLWriter) WriteSummary(s *Summary, b *BaselineChanges) error {
	h.sum, h.base = s, b
	return nil
}

// Close writes the page and removes the spool.
func (h *HTMLWriter) Close() error {
	if h.spool != nil {
		defer os.Remove(h.spool.Name())
		defer h.spool.Close()
		if err := h.spoolW.Flush(); err != nil && h.err == nil {
			h.err = fmt.Errorf("html: %w", err)
		}
	}
	if h.err != nil {
		return h.err
	}
	data, err := h.dataHead()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(h.w, 64<<10)
	bw.WriteString(pageHead)
	bw.WriteString(pageCSS)
	bw.WriteString("</style>\n</head>\n<body>\n")
	h.writeCounts(bw)
	bw.WriteString(pageBody)
	bw.WriteString(`<script type="application/json" id="hsdecode-data">`)
	bw.Write(data)
	if h.spool != nil {
		if _, err := h.spool.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("html: %w", err)
		}
		if _, err := io.Copy(bw, h.spool); err != nil {
			return fmt.Errorf("html: %w", err)
		}
	}
	bw.WriteString("\n]}</script>\n<script>\n")
	bw.WriteString(pageJS)
	bw.WriteString("</script>\n</body>\n</html>\n")
	return bw.Flush()
}

// dataHead is the page's JSON up to its connections: the summary's
// members when main gave one (docs/report.md, "The summary"), the inputs
// and those that could not be read, and the start of the connections.
func (h *HTMLWriter) dataHead() ([]byte, error) {
	var b []byte
	if h.sum != nil {
		var base *BaselineChanges
		if h.base != nil {
			// A baseline's server names and details come from the wire
			// and the baseline file: escaped as every string on the page.
			base = &BaselineChanges{Changes: make([]BaselineChange, len(h.base.Changes))}
			for i, ch := range h.base.Changes {
				ch.Server, ch.SNI, ch.Detail = Escape(ch.Server), Escape(ch.SNI), Escape(ch.Detail)
				base.Changes[i] = ch
			}
		}
		var s bytes.Buffer
		if err := h.sum.WriteJSON(&s, base); err != nil {
			return nil, err
		}
		b = append(b, bytes.TrimSuffix(bytes.TrimSpace(s.Bytes()), []byte("}"))...)
		b = append(b, ',')
	} else {
		b = append(b, '{')
	}
	b = append(b, `"files":[`...)
	for i, f := range h.files {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, Escape(f))
	}
	b = append(b, `],"input_errors":[`...)
	for i, e := range h.errs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(appendString(append(b, `{"file":`...), Escape(e.file)), `,"error":`...), Escape(e.err))
		b = append(b, '}')
	}
	b = append(b, "],\"connections\":[\n"...)
	return scriptSafe(b, 0), nil
}

// writeCounts writes the outcome counts as HTML, so that they show
// before, and without, the script.
func (h *HTMLWriter) writeCounts(w *bufio.Writer) {
	type count struct {
		o flows.Outcome
		n int64
	}
	var cs []count
	for o, n := range h.outcomes {
		cs = append(cs, count{o, n})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].n != cs[j].n {
			return cs[i].n > cs[j].n
		}
		return cs[i].o < cs[j].o
	})
	fmt.Fprintf(w, "<div id=\"head\"><h1>hsdecode report</h1>\n<p id=\"total\"><span id=\"n-connections\">%d</span> connections</p>\n", h.n)
	w.WriteString("<ul id=\"counts\">\n")
	for _, c := range cs {
		o := html.EscapeString(string(c.o))
		fmt.Fprintf(w, "<li class=\"count o-%s\" data-outcome=\"%s\"><span class=\"n\">%d</span> %s</li>\n", o, o, c.n, o)
	}
	w.WriteString("</ul>\n</div>\n")
}

const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hsdecode">
<title>hsdecode report</title>
<style>
`

// pageBody is the page's skeleton, which its script fills from the data.
const pageBody = `<noscript><p>The plot, the table and the diagrams are drawn by the page's script: allow it to run.</p></noscript>
<div id="run"></div>
<div id="timeline"><h2>Outcomes and alerts over capture time</h2><div id="plot"></div></div>
<div id="connections"><h2>Connections</h2>
<form id="filters" autocomplete="off">
<label>outcome <select id="f-outcome"><option value="">any</option></select></label>
<label>server <input id="f-server" type="search" placeholder="ip:port"></label>
<label>SNI <input id="f-sni" type="search" placeholder="name"></label>
<label>version <select id="f-version"><option value="">any</option></select></label>
<label>alert <select id="f-alert"><option value="">any</option></select></label>
<label>diagnosis <select id="f-diagnosis"><option value="">any</option></select></label>
<span id="f-time"></span>
<button type="button" id="f-clear">clear</button>
</form>
<p id="shown"></p>
<div class="pager" id="pager"></div>
<table id="conns">
<thead><tr><th>#</th><th>time</th><th>client</th><th>server</th><th>SNI</th><th>outcome</th><th>version</th><th>cipher suite</th><th>alerts</th><th>diagnosis or violation</th></tr></thead>
<tbody id="rows"></tbody>
</table>
</div>
`
