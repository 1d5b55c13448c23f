package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// printVersion writes --version: the module version (v1.2.3 when built by
// go install ...@v1.2.3, (devel) from a checkout), the VCS revision, its
// time and whether the tree was modified (what go build stamps in a
// checkout), and the Go version and platform.
func printVersion(w io.Writer) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintf(w, "hsdecode (no build information)\n%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)" // go test's binary has no main module version
	}
	fmt.Fprintf(w, "hsdecode %s\n", version)
	if bi.Main.Path != "" {
		fmt.Fprintf(w, "module %s\n", bi.Main.Path)
	}
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	if rev := set["vcs.revision"]; rev != "" {
		line := fmt.Sprintf("revision %s", rev)
		if t := set["vcs.time"]; t != "" {
			line += " " + t
		}
		if set["vcs.modified"] == "true" {
			line += " (modified)"
		}
		fmt.Fprintln(w, line)
	}
	cgo := "without cgo: reads files, no live capture"
	if set["CGO_ENABLED"] == "1" {
		cgo = "with cgo and libpcap"
	}
	fmt.Fprintf(w, "%s %s/%s, %s\n", bi.GoVersion, runtime.GOOS, runtime.GOARCH, cgo)
}
