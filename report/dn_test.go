package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDNAttributes reads back names as decode writes them, escapes
// included, and makes ECS's x509 name fields of them.
func TestDNAttributes(t *testing.T) {
	for _, tt := range []struct {
		dn   string
		want map[string][]string
	}{
		{"CN=edge.microsoft.com,O=Microsoft Corporation,L=Redmond,ST=WA,C=US",
			map[string][]string{"CN": {"edge.microsoft.com"}, "O": {"Microsoft Corporation"}, "L": {"Redmond"}, "ST": {"WA"}, "C": {"US"}}},
		{`CN=a\,b\+c\\d\"e,OU=x+OU=y,O=\#hash\ ,C=\0AZ`,
			map[string][]string{"CN": {`a,b+c\d"e`}, "OU": {"x", "y"}, "O": {"#hash "}, "C": {"\nZ"}}},
		{"CN=x,1.2.3.4=#0403616263", map[string][]string{"CN": {"x"}}},
		{"", map[string][]string{}},
		{`CN=trailing\`, map[string][]string{"CN": {`trailing\`}}},
	} {
		if diff := cmp.Diff(tt.want, dnAttributes(tt.dn)); diff != "" {
			t.Errorf("dnAttributes(%q) (-want +got):\n%s", tt.dn, diff)
		}
	}
	got := ecsNameOf("CN=Issuing CA,OU=Web,O=Example Inc,L=Paris,ST=IDF,C=FR")
	want := &ecsName{DistinguishedName: "CN=Issuing CA,OU=Web,O=Example Inc,L=Paris,ST=IDF,C=FR", CommonName: []string{"Issuing CA"},
		Organization: []string{"Example Inc"}, OrganizationalUnit: []string{"Web"}, Country: []string{"FR"},
		StateOrProvince: []string{"IDF"}, Locality: []string{"Paris"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ecsNameOf (-want +got):\n%s", diff)
	}
	if ecsNameOf("") != nil {
		t.Error("ecsNameOf(\"\") is not nil")
	}
}
