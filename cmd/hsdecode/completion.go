package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hsdecode/hsdecode/report"
)

// Shell completion (hsdecode completion bash|zsh|fish), made from the
// flag definitions: a flag whose placeholder is FILE completes file
// names, IFACE interfaces, and one listed in flagValues its values.

// flagValues are the words a flag's value is one of.
func flagValues() map[string][]string {
	rules := []string{"all", "none"}
	for _, r := range report.AllRules {
		rules = append(rules, string(r))
	}
	outs := make([]string, len(outcomes))
	for i, o := range outcomes {
		outs[i] = string(o)
	}
	return map[string][]string{
		"format":      {"text", "json", "ecs", "zeek", "html"},
		"color":       {"auto", "always", "never"},
		"progress":    {"auto", "always", "never"},
		"checksum":    {"auto", "on", "off"},
		"min-version": {"SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"},
		"fail-on":     rules,
		"outcome":     outs,
	}
}

// completionShells are the shells completion writes a script for.
var completionShells = []string{"bash", "zsh", "fish"}

// completion writes the script of the shell named in args.
func completion(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		complain(stderr, "completion: name a shell: "+strings.Join(completionShells, ", "))
		return exitError
	}
	flags := completionFlags(fs)
	switch args[0] {
	case "bash":
		bashCompletion(stdout, flags)
	case "zsh":
		zshCompletion(stdout, flags)
	case "fish":
		fishCompletion(stdout, flags)
	default:
		complain(stderr, fmt.Sprintf("completion: unknown shell %q (%s)", args[0], strings.Join(completionShells, ", ")))
		return exitError
	}
	return exitOK
}

// completedFlag is what a shell needs to know of a flag.
type completedFlag struct {
	name, short string
	brief       string   // the usage, up to its first clause
	value       string   // placeholder; "" when the flag takes none
	values      []string // the words the value is one of
}

func completionFlags(fs *pflag.FlagSet) []completedFlag {
	values := flagValues()
	var flags []completedFlag
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		placeholder, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() == "bool" {
			placeholder = ""
		}
		brief := usage
		if i := strings.IndexAny(brief, ":;(,"); i > 0 {
			brief = brief[:i]
		}
		flags = append(flags, completedFlag{name: f.Name, short: f.Shorthand, brief: strings.TrimSpace(brief),
			value: placeholder, values: values[f.Name]})
	})
	sort.Slice(flags, func(i, j int) bool { return flags[i].name < flags[j].name })
	return flags
}

// spellings are how a flag is written on the command line.
func (f completedFlag) spellings() []string {
	s := []string{"--" + f.name}
	if f.short != "" {
		s = append(s, "-"+f.short)
	}
	return s
}

func bashCompletion(w io.Writer, flags []completedFlag) {
	var all, files, ifaces, free []string
	cases := ""
	for _, f := range flags {
		all = append(all, f.spellings()...)
		pattern := strings.Join(f.spellings(), "|")
		switch {
		case f.value == "":
		case len(f.values) > 0:
			cases += fmt.Sprintf("\t%s)\n\t\t_hsdecode_words %q\n\t\treturn ;;\n", pattern, strings.Join(f.values, " "))
		case f.value == "FILE":
			files = append(files, pattern)
		case f.value == "IFACE":
			ifaces = append(ifaces, pattern)
		default:
			free = append(free, pattern)
		}
	}
	fmt.Fprintf(w, `# bash completion for hsdecode; made by: hsdecode completion bash
# Load it with: source <(hsdecode completion bash)

# _hsdecode_words completes a value from a list; a comma-separated list
# (--fail-on) is completed after its last comma.
_hsdecode_words() {
	local cur=${COMP_WORDS[COMP_CWORD]} head=""
	if [[ $cur == *,* ]]; then
		head=${cur%%,*},
		cur=${cur##*,}
	fi
	local w
	COMPREPLY=()
	for w in $(compgen -W "$1" -- "$cur"); do
		COMPREPLY+=("$head$w")
	done
}

# _hsdecode_files completes file names, one a line: a name may hold spaces.
_hsdecode_files() {
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")
}

_hsdecode() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	if [[ $COMP_CWORD -eq 2 && $prev == completion ]]; then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return
	fi
	case $prev in
%s	%s)
		_hsdecode_files
		return ;;
	%s)
		COMPREPLY=($(compgen -W "any $(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return ;;
	%s)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W %q -- "$cur"))
		return
	fi
	_hsdecode_files
	if [[ $COMP_CWORD -eq 1 ]]; then
		COMPREPLY+=($(compgen -W completion -- "$cur"))
	fi
}
complete -F _hsdecode hsdecode
`, strings.Join(completionShells, " "), cases, strings.Join(files, "|"), strings.Join(ifaces, "|"), strings.Join(free, "|"), strings.Join(all, " "))
}

// zshQuote escapes a description for _arguments: inside single quotes,
// and free of the brackets and colons that delimit its parts.
func zshQuote(s string) string {
	return strings.NewReplacer("'", `'\''`, "[", `\[`, "]", `\]`, ":", `\:`).Replace(s)
}

func zshCompletion(w io.Writer, flags []completedFlag) {
	fmt.Fprint(w, `#compdef hsdecode
# zsh completion for hsdecode; made by: hsdecode completion zsh
# Load it with: source <(hsdecode completion zsh), after compinit; or save
# it as _hsdecode in a directory of $fpath.

_hsdecode() {
	if (( CURRENT == 3 )) && [[ $words[2] == completion ]]; then
		_values shell `+strings.Join(completionShells, " ")+`
		return
	fi
	_arguments -s -S \
`)
	for _, f := range flags {
		action := ""
		switch {
		case f.value == "":
		case len(f.values) > 0:
			action = fmt.Sprintf(":%s:(%s)", f.value, strings.Join(f.values, " "))
		case f.value == "FILE":
			action = ":" + f.value + ":_files"
		case f.value == "IFACE":
			action = ":" + f.value + ":_net_interfaces"
		default:
			action = ":" + f.value + ": "
		}
		repeat := ""
		if f.name == "keylog" {
			repeat = "*"
		}
		desc := zshQuote(f.brief)
		if f.short == "" {
			fmt.Fprintf(w, "\t\t'%s--%s[%s]%s' \\\n", repeat, f.name, desc, action)
		} else {
			fmt.Fprintf(w, "\t\t'(-%s --%s)'{-%s,--%s}'[%s]%s' \\\n", f.short, f.name, f.short, f.name, desc, action)
		}
	}
	fmt.Fprint(w, `		'*:capture file or directory, or a filter:_files'
}

if [[ $funcstack[1] == _hsdecode ]]; then
	_hsdecode "$@"
else
	compdef _hsdecode hsdecode
fi
`)
}

// fishQuote quotes a word for fish, inside single quotes.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

func fishCompletion(w io.Writer, flags []completedFlag) {
	fmt.Fprint(w, `# fish completion for hsdecode; made by: hsdecode completion fish
# Load it with: hsdecode completion fish | source; or save it as
# ~/.config/fish/completions/hsdecode.fish
complete -c hsdecode -n '__fish_use_subcommand' -a completion -d 'print a shell completion script'
complete -c hsdecode -n '__fish_seen_subcommand_from completion' -x -a '`+strings.Join(completionShells, " ")+`'
`)
	for _, f := range flags {
		line := "complete -c hsdecode -l " + f.name
		if f.short != "" {
			line += " -s " + f.short
		}
		switch {
		case f.value == "":
		case len(f.values) > 0:
			line += " -x -a " + fishQuote(strings.Join(f.values, " "))
		case f.value == "FILE":
			line += " -r -F"
		case f.value == "IFACE":
			line += " -x -a '(__fish_print_interfaces) any'"
		default:
			line += " -x"
		}
		fmt.Fprintf(w, "%s -d %s\n", line, fishQuote(f.brief))
	}
}
