package main

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// installVersion is the version the module is served as to go install.
const installVersion = "v0.0.1-installtest"

// TestGoInstall: go install github.com/hsdecode/hsdecode/cmd/hsdecode@latest
// works as the README says, the way a user's go does it: from a module
// proxy (this checkout's tracked and new files, served as a module zip
// from a file:// GOPROXY), into an empty module cache, offline (the
// dependencies come from the local module cache's download directory),
// with cgo and without. The binary it makes names the version.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hsdecode twice from a module zip")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): nothing to serve as a module; skipped", err)
	}
	modCache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	serveModule(t, root, strings.Fields(string(files)), filepath.Join(proxy, "github.com", "hsdecode", "hsdecode", "@v"))

	for _, cgo := range []string{"0", "1"} {
		t.Run("CGO_ENABLED="+cgo, func(t *testing.T) {
			if _, err := exec.LookPath("gcc"); err != nil && cgo == "1" {
				t.Skip("gcc not found (scripts/deps.sh installs it); skipped")
			}
			gobin, cache := t.TempDir(), t.TempDir()
			t.Cleanup(func() {
				// The module cache is read-only, for go clean to remove.
				cmd := exec.Command("go", "clean", "-modcache")
				cmd.Env = append(os.Environ(), "GOMODCACHE="+cache)
				cmd.Run()
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "go", "install", "github.com/hsdecode/hsdecode/cmd/hsdecode@latest")
			cmd.Dir = t.TempDir() // outside this module, as a user's shell
			cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOMODCACHE="+cache, "CGO_ENABLED="+cgo,
				"GOPROXY=file://"+proxy+",file://"+filepath.Join(strings.TrimSpace(string(modCache)), "cache", "download"),
				"GOSUMDB=off", "GOTOOLCHAIN=local", "GOFLAGS=", "GOWORK=off")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("go install: %v\n%s", err, out)
			}
			out, err := exec.Command(filepath.Join(gobin, "hsdecode"), "--version").Output()
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"0": "without cgo", "1": "with cgo and libpcap"}[cgo]
			if !strings.HasPrefix(string(out), "hsdecode "+installVersion+"\n") || !strings.Contains(string(out), want) {
				t.Errorf("--version:\n%s\nwant hsdecode %s, %s", out, installVersion, want)
			}
		})
	}
}

// serveModule writes the files of a module proxy for one version of the
// module at root (go help goproxy): the version list, its .info, .mod and
// .zip.
func serveModule(t *testing.T, root string, files []string, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	// A directory with a go.mod of its own is another module, left out
	// of the zip as the go command leaves it (scripts/quicpeer).
	var nested []string
	for _, f := range files {
		if filepath.Base(f) == "go.mod" && filepath.Dir(f) != "." {
			nested = append(nested, filepath.Dir(f)+string(filepath.Separator))
		}
	}
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, f := range files {
		if slices.ContainsFunc(nested, func(d string) bool { return strings.HasPrefix(f, d) }) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create("github.com/hsdecode/hsdecode@" + installVersion + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"list":                   []byte(installVersion + "\n"),
		installVersion + ".info": []byte(`{"Version":"` + installVersion + `","Time":"2026-12-01T00:00:00Z"}`),
		installVersion + ".mod":  gomod,
		installVersion + ".zip":  zb.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVersionFromCheckout: a build in a git clone names its revision and
// time, as go build stamps them.
func TestVersionFromCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("clones the repository and builds hsdecode")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v); skipped", err)
	}
	clone := filepath.Join(t.TempDir(), "hsdecode")
	if out, err := exec.Command("git", "clone", "-q", root, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	bin := filepath.Join(t.TempDir(), "hsdecode")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=true", "-o", bin, "./cmd/hsdecode")
	cmd.Dir = clone
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "\nrevision " + strings.TrimSpace(string(head)) + " "; !strings.Contains(string(out), want) {
		t.Errorf("--version:\n%s\nlacks %q", out, want)
	}
}

// TestMakeInstallMan: make install-man puts the manual page where
// PREFIX and DESTDIR say.
func TestMakeInstallMan(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hsdecode")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not found; skipped")
	}
	dest := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-s", "-C", "../..", "install-man", "DESTDIR="+dest, "PREFIX=/opt/hs")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install-man: %v\n%s", err, out)
	}
	page, err := os.ReadFile(filepath.Join(dest, "opt", "hs", "share", "man", "man1", "hsdecode.1"))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	run([]string{"--man"}, &want, new(bytes.Buffer))
	if !bytes.Equal(page, want.Bytes()) {
		t.Errorf("the installed page is not hsdecode --man's")
	}
}
