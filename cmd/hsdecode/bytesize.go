package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// byteSize is a flag's size in bytes, written as a plain number or with a
// unit as GNU dd and sort -S read them: kB, MB, GB, TB are powers of 1000;
// K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024.
type byteSize int64

// byteUnits are the suffixes byteSize takes, case aside.
var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
}

// byteSizeForm says what byteSize accepts, for usage errors and the help.
const byteSizeForm = "give a size such as 16777216, 16MB (decimal), 16M or 16MiB (binary)"

// byteSizeFlag defines a size flag on fs and returns where it is stored.
func byteSizeFlag(fs *pflag.FlagSet, name string, value int64, usage string) *int64 {
	v := value
	fs.Var((*byteSize)(&v), name, usage)
	return &v
}

func (b *byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	unit, ok := byteUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if !ok || i == 0 {
		return fmt.Errorf("%q: %s", s, byteSizeForm)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	// 1<<62 keeps n*unit, and what callers add to it, within int64.
	if err != nil || n*float64(unit) >= 1<<62 {
		return fmt.Errorf("%q: %s", s, byteSizeForm)
	}
	*b = byteSize(n * float64(unit))
	return nil
}

// String gives the size in the largest binary unit that divides it, as
// the help shows defaults.
func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Type() string { return "bytes" }

// kibSize is a size kept in KiB, for -B: a plain number is KiB, as
// tcpdump's -B takes it; a size with a unit (byteSize's) is rounded up to
// whole KiB.
type kibSize int

// kibFlag defines a kibSize flag on fs and returns where it is stored.
func kibFlag(fs *pflag.FlagSet, name, short string, kib int, usage string) *int {
	v := kib
	fs.VarP((*kibSize)(&v), name, short, usage)
	return &v
}

func (k *kibSize) Set(s string) error {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		*k = kibSize(n) // a negative one is refused by liveArgs, with -B's words
		return nil
	}
	var b byteSize
	if err := b.Set(s); err != nil {
		return err
	}
	*k = kibSize((int64(b) + 1<<10 - 1) >> 10)
	return nil
}

func (k *kibSize) String() string {
	b := byteSize(int64(*k) << 10)
	return b.String()
}

func (k *kibSize) Type() string { return "kib" }
