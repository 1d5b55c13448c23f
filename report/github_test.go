package report

import "testing"

// TestGitHubEscape: a workflow command's message and properties are
// escaped as the runner unescapes them, % first, so that "%0A" written
// by a capture stays those three characters.
func TestGitHubEscape(t *testing.T) {
	for _, tt := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"a\nb\r", "a%0Ab%0D", "a%0Ab%0D"},
		{"100%0A", "100%250A", "100%250A"},
		{"k::v,w", "k::v,w", "k%3A%3Av%2Cw"},
	} {
		if got := githubData(tt.in); got != tt.data {
			t.Errorf("githubData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := githubProperty(tt.in); got != tt.prop {
			t.Errorf("githubProperty(%q) = %q, want %q", tt.in, got, tt.prop)
		}
	}
}
