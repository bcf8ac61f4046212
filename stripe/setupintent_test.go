package stripe

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vidivo/vidivo/billing"
)

func TestCreateSetupIntentForTheBrowser(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	g := newTestGateway(t, rec)
	secret, err := g.CreateSetupIntent(context.Background(), "setup/abcdefgh/0123456789", map[string]string{"short_code": "abcdefgh"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "seti_") || !strings.Contains(secret, "_secret_") {
		t.Errorf("client secret = %q, want seti_…_secret_…", secret)
	}
	posts := checkRequests(t, rec.requests())
	if len(posts) != 1 || posts[0].Path != "/v1/setup_intents" || posts[0].Key != "setup/abcdefgh/0123456789" {
		t.Fatalf("POSTs = %+v, want one setup intent with the given key", posts)
	}
	wantForm(t, posts[0], map[string]string{"usage": "off_session", "payment_method_types[0]": "card", "metadata[short_code]": "abcdefgh"})
	// The browser confirms it: the server names no card and confirms nothing.
	noForm(t, posts[0], "confirm", "payment_method", "customer")
}

func TestCreateSetupIntentFailures(t *testing.T) {
	t.Parallel()
	g := newTestGateway(t, &recorder{})
	for name, key := range map[string]string{"no key": "", "key too long": strings.Repeat("k", 256)} {
		if _, err := g.CreateSetupIntent(context.Background(), key, nil); billing.ErrorKind(err) != billing.KindInvalid {
			t.Errorf("%s: error %v, want KindInvalid", name, err)
		}
	}
	down := newTestGateway(t, &recorder{failAll: true})
	_, err := down.CreateSetupIntent(context.Background(), "setup/x/1", nil)
	wantKind(t, err, billing.KindTemporary)

	refused := newTestGateway(t, &recorder{base: setupAnswer{next: http.DefaultTransport, declineCode: "card_declined"}})
	_, err = refused.CreateSetupIntent(context.Background(), "setup/x/2", nil)
	wantKind(t, err, billing.KindDeclined)
}
