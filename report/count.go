package report

import "fmt"

// Count says how many of a noun, in the singular for one: "1 connection",
// "3 connections".
func Count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
