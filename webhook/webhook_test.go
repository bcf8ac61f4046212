package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo/webhook"
)

// verifyVidivo checks Vidivo-Webhook-Signature as a receiver would,
// written from the documentation, not with the package's signer.
func verifyVidivo(t *testing.T, key []byte, header string, body []byte, now time.Time) bool {
	t.Helper()
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(secs, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return false
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(sig), []byte(want))
}

// verifyStandard checks the Standard Webhooks headers from the spec:
// base64 HMAC-SHA256 of "id.timestamp.body" with the decoded whsec_ key,
// in a space-separated list of "v1,<sig>".
func verifyStandard(t *testing.T, secret string, h http.Header, body []byte) bool {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret: %v", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

func TestSign(t *testing.T) {
	secret := webhook.NewKey()
	key, err := webhook.KeyBytes(secret)
	if err != nil || len(key) != webhook.KeyLen {
		t.Fatalf("KeyBytes(NewKey()) = %d bytes, %v", len(key), err)
	}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"event":"invitee.created"}`)
	h := http.Header{}
	webhook.Sign(h, key, "01JBZ6W0Y8QK7N3J5V4X2M1C9T", at, body)
	if h.Get("webhook-id") != "01JBZ6W0Y8QK7N3J5V4X2M1C9T" || h.Get("webhook-timestamp") != "1796292000" {
		t.Fatalf("headers %v", h)
	}
	if !verifyVidivo(t, key, h.Get(webhook.HeaderSignature), body, at.Add(time.Minute)) {
		t.Errorf("Vidivo-Webhook-Signature %q does not verify", h.Get(webhook.HeaderSignature))
	}
	if !verifyStandard(t, secret, h, body) {
		t.Errorf("webhook-signature %q does not verify", h.Get("webhook-signature"))
	}
	tests := []struct {
		name string
		body []byte
		key  []byte
		now  time.Time
	}{
		{"other body", []byte(`{"event":"invitee.canceled"}`), key, at},
		{"other key", body, append([]byte{1}, key[1:]...), at},
		{"too late", body, key, at.Add(6 * time.Minute)},
	}
	for _, tt := range tests {
		if verifyVidivo(t, tt.key, h.Get(webhook.HeaderSignature), tt.body, tt.now) {
			t.Errorf("%s: verified", tt.name)
		}
	}
	if verifyStandard(t, secret, h, []byte(`{}`)) {
		t.Error("standard signature verified another body")
	}
}

func TestKeyBytes(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 24)), true},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 64)), true},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)), false},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), false},
		{base64.StdEncoding.EncodeToString(make([]byte, 32)), false},
		{"whsec_not base64!", false},
		{"", false},
	}
	for _, tt := range tests {
		if _, err := webhook.KeyBytes(tt.key); (err == nil) != tt.ok {
			t.Errorf("KeyBytes(%q) err = %v, want ok %v", tt.key, err, tt.ok)
		}
	}
}

func TestGuard(t *testing.T) {
	open := webhook.Guard{}
	allowLoop := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	tests := []struct {
		addr    string
		g       webhook.Guard
		refused bool
	}{
		{"93.184.216.34", open, false},
		{"2606:2800:220:1:248:1893:25c8:1946", open, false},
		{"127.0.0.1", open, true},
		{"127.3.4.5", open, true},
		{"::1", open, true},
		{"::ffff:127.0.0.1", open, true},
		{"10.1.2.3", open, true},
		{"172.16.0.1", open, true},
		{"172.31.255.255", open, true},
		{"172.32.0.1", open, false},
		{"192.168.1.1", open, true},
		{"100.64.0.1", open, true},
		{"100.127.255.254", open, true},
		{"100.128.0.1", open, false},
		{"169.254.169.254", open, true},
		{"fd00:ec2::254", open, true},
		{"fc00::1", open, true},
		{"fe80::1", open, true},
		{"0.0.0.0", open, true},
		{"::", open, true},
		{"224.0.0.1", open, true},
		{"ff02::1", open, true},
		{"255.255.255.255", open, true},
		{"64:ff9b::a00:1", open, true},
		{"127.0.0.1", allowLoop, false},
		{"::ffff:127.0.0.1", allowLoop, false},
		{"10.0.0.1", allowLoop, true},
		{"169.254.169.254", allowLoop, true},
	}
	for _, tt := range tests {
		err := tt.g.Check(netip.MustParseAddr(tt.addr))
		if (err != nil) != tt.refused {
			t.Errorf("Check(%s) with allow %v = %v, want refused %v", tt.addr, tt.g.Allow, err, tt.refused)
		}
		if err := tt.g.Control("tcp", netip.AddrPortFrom(netip.MustParseAddr(tt.addr), 443).String(), nil); (err != nil) != tt.refused {
			t.Errorf("Control(%s) = %v, want refused %v", tt.addr, err, tt.refused)
		}
	}
}

func TestParseAllow(t *testing.T) {
	got, err := webhook.ParseAllow(" 127.0.0.0/8, 10.1.0.0/16 ,")
	if err != nil || len(got) != 2 || got[1].String() != "10.1.0.0/16" {
		t.Fatalf("ParseAllow = %v, %v", got, err)
	}
	if _, err := webhook.ParseAllow("10.0.0.1"); err == nil {
		t.Error("a bare address was accepted as a CIDR")
	}
}

func TestCheckURL(t *testing.T) {
	open := webhook.Guard{}
	allow := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	tests := []struct {
		url string
		g   webhook.Guard
		ok  bool
	}{
		{"https://hooks.example.com/vidivo", open, true},
		{"https://hooks.example.com:8443/a?b=c", open, true},
		{"https://93.184.216.34/x", open, true},
		{"http://hooks.example.com/vidivo", open, false},
		{"http://127.0.0.1:9000/hook", allow, true},
		{"http://127.0.0.1:9000/hook", open, false},
		{"https://127.0.0.1/hook", open, false},
		{"https://[::1]/hook", open, false},
		{"https://169.254.169.254/latest/meta-data", open, false},
		{"https://10.0.0.1/", allow, false},
		{"http://localhost:9000/", allow, false},
		{"https://user:pw@hooks.example.com/", open, false},
		{"https://hooks.example.com/#frag", open, false},
		{"ftp://hooks.example.com/", open, false},
		{"hooks.example.com/vidivo", open, false},
		{"https:///path", open, false},
		{"https://hooks.example.com:0/", open, false},
		{"https://hooks.example.com:99999/", open, false},
		{"https://hooks.example.com/a b", open, false},
		{"", open, false},
		{"https://h.example.com/" + strings.Repeat("a", 2048), open, false},
	}
	for _, tt := range tests {
		if issue := tt.g.CheckURL(tt.url); (issue == "") != tt.ok {
			t.Errorf("CheckURL(%q) = %q, want ok %v", tt.url, issue, tt.ok)
		}
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "http://127.0.0.1:1/", "https://[::1]/", "https://a@b/#c", "%zz"} {
		f.Add(s)
	}
	g := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	f.Fuzz(func(t *testing.T, raw string) {
		if g.CheckURL(raw) != "" {
			return
		}
		// Whatever passes is https, or http to an allowed address, and
		// never names a refused literal address.
		if !strings.HasPrefix(raw, "https://") && !strings.HasPrefix(raw, "http://") {
			t.Fatalf("accepted %q", raw)
		}
	})
}

func TestSend(t *testing.T) {
	var got http.Header
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone(); w.WriteHeader(204) })
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	allow := webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	key := make([]byte, 32)
	ctx := context.Background()
	c := webhook.NewClient(allow)
	now := time.Now()
	if r := c.Send(ctx, srv.URL+"/ok", key, "id1", now, []byte(`{}`)); !r.OK() || r.Code != 204 {
		t.Errorf("ok: %+v", r)
	}
	if got.Get("webhook-id") != "id1" || got.Get(webhook.HeaderSignature) == "" {
		t.Errorf("headers %v", got)
	}
	got = nil
	if r := c.Send(ctx, srv.URL+"/moved", key, "id2", now, []byte(`{}`)); r.OK() || r.Code != 302 || got != nil {
		t.Errorf("redirect: %+v, followed %v", r, got != nil)
	}
	if r := c.Send(ctx, srv.URL+"/gone", key, "id3", now, []byte(`{}`)); r.OK() || !r.Gone() {
		t.Errorf("gone: %+v", r)
	}
	if r := c.Send(ctx, srv.URL+"/boom", key, "id4", now, []byte(`{}`)); r.OK() || r.Code != 500 {
		t.Errorf("500: %+v", r)
	}
	// Without the allow list the same receiver is refused at the dial,
	// also by a name that resolves to it.
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	strict := webhook.NewClient(webhook.Guard{})
	for _, u := range []string{srv.URL + "/ok", "http://localhost" + port + "/ok"} {
		r := strict.Send(ctx, u, key, "id5", now, []byte(`{}`))
		if r.OK() || r.Code != 0 || !strings.Contains(r.Err.Error(), "refused") {
			t.Errorf("%s: %+v", u, r)
		}
	}
}
