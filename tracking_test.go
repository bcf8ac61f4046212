package vidivo

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrackingValidate(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		in   Tracking
		want []FieldError
	}{
		"none":         {Tracking{}, nil},
		"all given":    {Tracking{"newsletter", "email", "spring", "hero", "career coach"}, nil},
		"255 runes":    {Tracking{UTMSource: strings.Repeat("é", 255)}, nil},
		"256 runes":    {Tracking{UTMSource: strings.Repeat("a", 256)}, []FieldError{{"tracking.utm_source", "must be at most 255 characters"}}},
		"a line break": {Tracking{UTMTerm: "a\nb"}, []FieldError{{"tracking.utm_term", "must be a single line"}}},
		"not UTF-8":    {Tracking{UTMMedium: "\xff"}, []FieldError{{"tracking.utm_medium", "must be valid UTF-8"}}},
		"two bad ones": {Tracking{UTMCampaign: "\x00", UTMContent: "\t"}, []FieldError{{"tracking.utm_campaign", "must not contain control characters"}, {"tracking.utm_content", "must not contain control characters"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, tc.in.Validate("tracking")); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}
