package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/vidivo/vidivo/api/apitest"
)

// loginFrom tries a log-in from the local address from.
func loginFrom(e *apitest.Env, from, id, password string) *apitest.Response {
	return e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/login", From: from,
		Body: map[string]string{"email": id, "password": password}})
}

// wantLimited asserts a 429 rate_limited with a usable Retry-After.
func wantLimited(t *testing.T, resp *apitest.Response) {
	t.Helper()
	resp.WantError(t, http.StatusTooManyRequests, "rate_limited")
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After = %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
	}
}

// TestLoginLimitCannotLockOwnerOut: an address guessing one account's
// password is stopped, on both identifiers of the account, while the owner
// logs in from another address; the guessing address is also limited as a
// whole.
func TestLoginLimitCannotLockOwnerOut(t *testing.T) {
	t.Parallel()
	const auth = 8 // per address; per account and address: 2
	forEngine(t, &apitest.Opts{AuthRateLimit: auth}, func(t *testing.T, e *apitest.Env) {
		const attacker, owner = "127.0.0.2", "127.0.0.3"
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody("jane", "host"), From: "127.0.0.9"}).
			WantStatus(t, http.StatusCreated)
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody("sam", "client"), From: "127.0.0.9"}).
			WantStatus(t, http.StatusCreated)

		// Email and username, in any case, name one account: one bucket.
		ids := []string{"jane@example.com", "jane", "JANE@Example.com ", "Jane"}
		refused := 0
		for i := 0; i < auth && refused == 0; i++ {
			resp := loginFrom(e, attacker, ids[i%len(ids)], "wrong password 123")
			if resp.Status == http.StatusTooManyRequests {
				wantLimited(t, resp)
				refused = i + 1
				continue
			}
			resp.WantError(t, http.StatusUnauthorized, "unauthorized")
		}
		if refused != 3 {
			t.Fatalf("the guessing address was refused at attempt %d, want 3 (2 per account and address)", refused)
		}

		// The owner, elsewhere, is not locked out.
		loginFrom(e, owner, "jane", "correct horse battery").WantStatus(t, http.StatusOK)

		// The guessing address may try other accounts until its own budget
		// (which the refused attempt spent too) runs out.
		for i := refused; i < auth; i++ {
			loginFrom(e, attacker, "nobody"+strconv.Itoa(i)+"@example.com", "wrong password 123").
				WantError(t, http.StatusUnauthorized, "unauthorized")
		}
		wantLimited(t, loginFrom(e, attacker, "somebody@example.com", "wrong password 123"))
		// Sign-up shares the address's budget.
		wantLimited(t, e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody("late", "client"), From: attacker}))

		// Buckets refill with time.
		e.Clock.Add(time.Minute)
		loginFrom(e, attacker, "jane", "wrong password 123").WantError(t, http.StatusUnauthorized, "unauthorized")
	})
}

func TestSignupLimitPerAddress(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", &apitest.Opts{AuthRateLimit: 3})
	for _, name := range []string{"ann", "amy", "abe"} {
		e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody(name, "client"), From: "127.0.0.2"}).
			WantStatus(t, http.StatusCreated)
	}
	wantLimited(t, e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody("ava", "client"), From: "127.0.0.2"}))
	e.Do(apitest.Req{Method: "POST", Path: "/v1/auth/signup", Body: signupBody("bob", "client"), From: "127.0.0.3"}).
		WantStatus(t, http.StatusCreated)
}

// TestPublicRateLimit: anonymous reads are limited per address; signed-in
// routes and other addresses are not affected.
func TestPublicRateLimit(t *testing.T) {
	t.Parallel()
	const limit = 3
	e := apitest.New(t, "sqlite", &apitest.Opts{PublicRateLimit: limit})
	host := mustSignup(t, e, "jane", "host")
	tests := []struct {
		name string
		req  apitest.Req
	}{
		{"slots", apitest.Req{Method: "GET", Path: "/v1/schedule/jane"}},
		{"link info", apitest.Req{Method: "GET", Path: "/v1/links/abcdefgh"}},
		{"call link info", apitest.Req{Method: "GET", Path: "/v1/calls/links/abcdefgh/info"}},
		{"active link", apitest.Req{Method: "GET", Path: "/v1/calls/links/active/jane"}},
		{"event types", apitest.Req{Method: "GET", Path: "/v1/event_types?user=jane"}},
		{"available times", apitest.Req{Method: "GET", Path: "/v1/event_type_available_times?event_type=x"}},
		{"availability", apitest.Req{Method: "GET", Path: "/v1/user_availability_schedules?user=jane"}},
		{"busy times", apitest.Req{Method: "GET", Path: "/v1/user_busy_times?user=jane"}},
		{"join by link", apitest.Req{Method: "POST", Path: "/v1/calls/join/abcdefgh", Body: map[string]string{"payment_method_id": "pm_card_visa"}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.req.From = "127.0.1." + strconv.Itoa(i+1)
			for range limit {
				if resp := e.Do(tt.req); resp.Status == http.StatusTooManyRequests {
					t.Fatalf("limited within the budget: %s", resp.Body)
				}
			}
			wantLimited(t, e.Do(tt.req))
			// A signed-in route from the same address is not limited.
			e.Do(apitest.Req{Method: "GET", Path: "/v1/users/me", Token: host.AccessToken, From: tt.req.From}).
				WantStatus(t, http.StatusOK)
			// Another address has its own budget.
			other := tt.req
			other.From = "127.0.2." + strconv.Itoa(i+1)
			if resp := e.Do(other); resp.Status == http.StatusTooManyRequests {
				t.Errorf("another address was limited: %s", resp.Body)
			}
		})
	}
}

// TestPublicRateLimitOff: 0 disables the limit.
func TestPublicRateLimitOff(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, "sqlite", nil)
	for range 50 {
		e.Do(apitest.Req{Method: "GET", Path: "/v1/links/abcdefgh"}).WantError(t, http.StatusNotFound, "not_found")
	}
}
