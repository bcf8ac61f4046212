package vidivo_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vidivo/vidivo"
)

func TestParsePage(t *testing.T) {
	t.Parallel()
	type result struct {
		Page, PerPage int
		Fields        []string
	}
	tests := []struct {
		page, perPage string
		want          result
	}{
		{"", "", result{1, 20, nil}},
		{"3", "50", result{3, 50, nil}},
		{"10000", "100", result{10000, 100, nil}},
		{"10001", "100", result{0, 0, []string{"page"}}},
		{"9223372036854775807", "100", result{0, 0, []string{"page"}}},
		{"99999999999999999999", "1", result{0, 0, []string{"page"}}},
		{"0", "0", result{0, 0, []string{"page", "per_page"}}},
		{"-1", "101", result{0, 0, []string{"page", "per_page"}}},
		{"1.5", "x", result{0, 0, []string{"page", "per_page"}}},
	}
	for _, tt := range tests {
		t.Run(tt.page+"/"+tt.perPage, func(t *testing.T) {
			t.Parallel()
			page, perPage, errs := vidivo.ParsePage(tt.page, tt.perPage)
			got := result{Page: page, PerPage: perPage}
			for _, e := range errs {
				got.Fields = append(got.Fields, e.Field)
			}
			if len(errs) > 0 { // the numbers mean nothing once refused
				got.Page, got.PerPage = 0, 0
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePage(%q, %q) (-want +got):\n%s", tt.page, tt.perPage, diff)
			}
		})
	}
}
