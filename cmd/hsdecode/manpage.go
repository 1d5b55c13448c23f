package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// printMan writes the manual page, hsdecode(1), in roff: the help's
// sections and a paragraph per flag, from the same definitions as --help,
// so that the two never disagree. It carries no date, so that the page
// of a version is always the same bytes.
func printMan(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, ".\\\" The manual page of hsdecode; made by: hsdecode --man\n")
	fmt.Fprintf(w, ".TH HSDECODE 1 \"\" \"hsdecode\" \"User Commands\"\n")
	fmt.Fprintf(w, ".SH NAME\nhsdecode \\- %s\n", roff(purpose))
	fmt.Fprintf(w, ".SH SYNOPSIS\n.nf\n")
	for _, s := range synopsis {
		fmt.Fprintln(w, roff(s))
	}
	fmt.Fprintf(w, ".fi\n")
	for _, s := range helpSections {
		if s.title != "" {
			fmt.Fprintf(w, ".SH %s\n", strings.ToUpper(s.title))
		}
		if s.pre {
			fmt.Fprintf(w, ".PP\n.nf\n%s\n.fi\n", roff(s.body))
			continue
		}
		fmt.Fprintf(w, ".PP\n%s\n", roff(strings.Join(strings.Fields(s.body), " ")))
	}
	fmt.Fprintf(w, ".SH OPTIONS\n")
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		placeholder, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() == "bool" {
			placeholder = ""
		}
		fmt.Fprintf(w, ".TP\n")
		if f.Shorthand != "" {
			fmt.Fprintf(w, "\\fB\\-%s\\fR, ", f.Shorthand)
		}
		fmt.Fprintf(w, "\\fB\\-\\-%s\\fR", roff(f.Name))
		if placeholder != "" {
			fmt.Fprintf(w, " \\fI%s\\fR", roff(placeholder))
		}
		fmt.Fprintf(w, "\n%s", roff(usage))
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "[]" && def != "0s" {
			fmt.Fprintf(w, " (default %s)", roff(def))
		}
		fmt.Fprintln(w)
	})
	fmt.Fprintf(w, ".SH SEE ALSO\n")
	fmt.Fprintf(w, "tcpdump(8), tshark(1), pcap-filter(7), logrotate(8)\n")
}

// roff escapes text for a roff line: backslashes and hyphens (which roff
// would turn into a typographic hyphen, not the minus of an option), and
// a dot or quote that would begin a line as a request.
func roff(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}
