package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/vidivo/vidivo/bench/chaos/audit"
)

// The load: guests join hosts' links and pay, hosts answer, calls run 0 to
// -max-call and one side ends them; some guests are declined, some hosts
// never come (the call is missed), some guests give up waiting; clients
// book calls a minute ahead and both sides join them.

// declinedCards are Stripe's test cards the sandbox declines.
var declinedCards = []string{"pm_card_chargeDeclined", "pm_card_insufficientFunds"}

// worker runs calls one after another until stop is done. Each call is
// ended when stop comes (its client ends it), with ctx bounding the
// retries.
func (r *run) worker(ctx, stop context.Context, clientAcct *account) {
	for stop.Err() == nil {
		if mrand.Float64() < r.cfg.bookShare && clientAcct != nil {
			if r.bookedCall(ctx, stop, clientAcct) {
				continue
			}
		}
		r.instantCall(ctx, stop, r.cfg.maxCall)
		sleep(stop, time.Duration(mrand.Int64N(int64(2*time.Second))))
	}
}

// burst starts n short calls at once, for the killer to land in.
func (r *run) burst(ctx, stop context.Context, n int) {
	for range n {
		r.bursts.Go(func() { r.instantCall(ctx, stop, 10*time.Second) })
	}
}

func (r *run) pickHost() *host { return r.hosts[mrand.IntN(len(r.hosts))] }

func pickCard() string {
	if mrand.Float64() < 0.1 {
		return declinedCards[mrand.IntN(len(declinedCards))]
	}
	return "pm_card_visa"
}

// callLength is how long an answered call runs: a quarter are under 15 s,
// the rest anything up to max.
func callLength(max time.Duration) time.Duration {
	if mrand.Float64() < 0.25 {
		max = min(max, 15*time.Second)
	}
	return time.Duration(mrand.Int64N(int64(max) + 1))
}

// instantCall is one guest through a call link.
func (r *run) instantCall(ctx, stop context.Context, maxLen time.Duration) {
	h := r.pickHost()
	l := h.links[mrand.IntN(len(h.links))]
	body := map[string]any{"payment_method_id": pickCard(), "guest_name": "Guest"}
	rep, err := r.api.send(ctx, request{method: "POST", path: "/v1/calls/join/" + l.code, idemKey: newKey(), body: body, retry409: true})
	if err != nil {
		r.stats.add("join.gave_up", 1)
		return
	}
	switch rep.status {
	case http.StatusCreated:
		r.stats.add("join.ok", 1)
	case http.StatusPaymentRequired:
		r.stats.add("join.declined", 1)
		return
	default:
		r.stats.add(fmt.Sprintf("join.%d_%s", rep.status, rep.code()), 1)
		return
	}
	var joined struct {
		Call struct {
			ID string `json:"id"`
		} `json:"call"`
		GuestToken string `json:"guest_token"`
	}
	if err := rep.decode(&joined); err != nil {
		r.stats.add("join.bad_body", 1)
		return
	}
	id, guestTok := joined.Call.ID, joined.GuestToken
	guest := &account{token: guestTok}
	switch f := mrand.Float64(); {
	case f < 0.07:
		r.stats.add("fate.no_show", 1) // the host never comes: missed after 5 minutes
		return
	case f < 0.12:
		sleep(stop, time.Duration(mrand.Int64N(int64(5*time.Second))))
		r.stats.add("fate.guest_gave_up_waiting", 1)
		r.end(ctx, id, guest, "user_ended")
		return
	}
	sleep(stop, time.Duration(mrand.Int64N(int64(3*time.Second))))
	if !r.hostJoin(ctx, h, id) {
		return
	}
	sleep(stop, callLength(maxLen))
	if mrand.Float64() < 0.6 {
		r.end(ctx, id, guest, "user_ended")
	} else {
		r.end(ctx, id, &h.account, "host_ended")
	}
}

// hostJoin answers a call; a retry that finds the call active means the
// lost first attempt worked.
func (r *run) hostJoin(ctx context.Context, h *host, id string) bool {
	rep, err := r.as(ctx, &h.account, request{method: "POST", path: "/v1/calls/" + id + "/host-join"})
	switch {
	case err != nil:
		r.stats.add("host_join.gave_up", 1)
		return false
	case rep.status == http.StatusCreated:
		r.stats.add("host_join.ok", 1)
		return true
	case rep.status == http.StatusConflict && strings.Contains(rep.message(), "active"):
		r.stats.add("host_join.ok_on_retry", 1)
		return true
	}
	r.stats.add(fmt.Sprintf("host_join.%d_%s", rep.status, rep.code()), 1)
	return false
}

// end ends a call as a participant, with an idempotency key kept across
// retries. The API's answer must already agree with itself: total =
// billed minutes × rate.
func (r *run) end(ctx context.Context, id string, a *account, reason string) {
	rep, err := r.as(ctx, a, request{method: "POST", path: "/v1/calls/" + id + "/end", idemKey: newKey(),
		body: map[string]string{"reason": reason}, retry409: true})
	switch {
	case err != nil:
		r.stats.add("end.gave_up", 1)
		return
	case rep.status == http.StatusConflict:
		r.stats.add("end.already_ended", 1) // a billing error, a no-show or reconciliation ended it first
		return
	case rep.status != http.StatusOK:
		r.stats.add(fmt.Sprintf("end.%d_%s", rep.status, rep.code()), 1)
		return
	}
	r.stats.add("end.ok", 1)
	var out struct {
		Call struct {
			Status        string `json:"status"`
			BilledMinutes int64  `json:"billed_minutes"`
			TotalCharged  string `json:"total_charged"`
		} `json:"call"`
	}
	if rep.decode(&out) == nil {
		r.stats.add("end.status."+out.Call.Status, 1)
	}
}

// bookedCall books a call starting within the minute with a bookable host
// and runs it: both join (the host first, sometimes), it runs, one side
// ends it. In one booking in five the guest first joins with a card that
// is declined, then again with a good one.
// It returns false when no host is free soon enough.
func (r *run) bookedCall(ctx, stop context.Context, client *account) bool {
	h := r.bookableHost()
	if h == nil {
		return false
	}
	h.bookMu.Lock()
	start := time.Now().Add(20 * time.Second).Truncate(time.Second)
	if h.nextFree.After(start) {
		start = h.nextFree
	}
	if start.After(time.Now().Add(3 * time.Minute)) {
		h.bookMu.Unlock()
		return false
	}
	h.nextFree = start.Add(5*time.Minute + time.Second)
	h.bookMu.Unlock()

	body := map[string]any{"host_username": h.username, "scheduled_at": start.UTC().Format(time.RFC3339),
		"duration_minutes": 5, "payment_method_id": "pm_card_visa"}
	rep, err := r.as(ctx, client, request{method: "POST", path: "/v1/schedule/book", body: body})
	if err != nil || rep.status != http.StatusCreated {
		r.stats.add(fmt.Sprintf("book.%d_%s", rep.status, rep.code()), 1)
		return true
	}
	r.stats.add("book.ok", 1)
	var b struct {
		ScheduledCall struct {
			ID string `json:"id"`
		} `json:"scheduled_call"`
	}
	if rep.decode(&b) != nil {
		return true
	}
	id := b.ScheduledCall.ID
	hostFirst := mrand.Float64() < 0.3
	if hostFirst && !r.scheduledJoin(ctx, &h.account, id, nil, "host") {
		return true
	}
	var pm map[string]any
	if mrand.Float64() < 0.2 {
		// A declined card first; then the guest joins with a good one.
		if r.scheduledJoin(ctx, client, id, map[string]any{"payment_method_id": declinedCards[0]}, "guest_bad_card") {
			r.stats.add("book.declined_card_joined", 1) // should have been refused
		}
		r.refused.Delete(id)
		pm = map[string]any{"payment_method_id": "pm_card_visa"}
	}
	if !r.scheduledJoin(ctx, client, id, pm, "guest") {
		if pm != nil && r.lastRefused(id) {
			r.flagExtra(audit.Violation{Kind: kindBookingRefusedGoodCard, CallID: id,
				Detail: "the guest's join with pm_card_visa after a declined card was refused (402)"})
		}
		return true
	}
	if mrand.Float64() < 0.07 {
		r.stats.add("fate.booked_no_show", 1)
		return true
	}
	if !hostFirst && !r.scheduledJoin(ctx, &h.account, id, nil, "host") {
		return true
	}
	sleep(stop, callLength(r.cfg.maxCall))
	if mrand.Float64() < 0.5 {
		r.end(ctx, id, client, "user_ended")
	} else {
		r.end(ctx, id, &h.account, "host_ended")
	}
	return true
}

// lastRefused reports whether a scheduled join of id was last answered 402.
func (r *run) lastRefused(id string) bool {
	v, ok := r.refused.LoadAndDelete(id)
	return ok && v.(bool)
}

func (r *run) bookableHost() *host {
	var hs []*host
	for _, h := range r.hosts {
		if h.bookable {
			hs = append(hs, h)
		}
	}
	if len(hs) == 0 {
		return nil
	}
	return hs[mrand.IntN(len(hs))]
}

// scheduledJoin joins a booked call as who, waiting for it to open (5
// minutes before its start).
func (r *run) scheduledJoin(ctx context.Context, a *account, id string, body map[string]any, who string) bool {
	for {
		rep, err := r.as(ctx, a, request{method: "POST", path: "/v1/calls/" + id + "/join", body: body})
		switch {
		case err != nil:
			r.stats.add("scheduled_join."+who+".gave_up", 1)
			return false
		case rep.status == http.StatusCreated:
			r.stats.add("scheduled_join."+who+".ok", 1)
			return true
		case rep.status == http.StatusConflict && strings.Contains(rep.message(), "opens at") && ctx.Err() == nil:
			sleep(ctx, time.Second)
			continue
		}
		r.stats.add(fmt.Sprintf("scheduled_join.%s.%d_%s", who, rep.status, rep.code()), 1)
		if rep.status == http.StatusPaymentRequired {
			r.refused.Store(id, true)
		}
		return false
	}
}

// sweep ends, as their hosts, every call still open at the end of the
// load: calls whose join answer was lost to a kill, and no-shows not yet
// missed.
func (r *run) sweep(ctx context.Context) int {
	n := 0
	for _, h := range r.hosts {
		for _, status := range []string{"waiting", "ringing", "active"} {
			for _, id := range r.openCalls(ctx, h, status) {
				r.end(ctx, id, &h.account, "host_ended")
				n++
			}
		}
	}
	return n
}

func (r *run) openCalls(ctx context.Context, h *host, status string) []string {
	var ids []string
	for page := 1; page < 100; page++ {
		rep, err := r.as(ctx, &h.account, request{method: "GET",
			path: fmt.Sprintf("/v1/calls/history?status=%s&per_page=100&page=%d", status, page)})
		if err != nil || rep.status != http.StatusOK {
			r.stats.add("sweep.list_failed", 1)
			return ids
		}
		var out struct {
			Calls []struct {
				ID     string `json:"id"`
				HostID string `json:"host_id"`
			} `json:"calls"`
		}
		if rep.decode(&out) != nil || len(out.Calls) == 0 {
			return ids
		}
		for _, c := range out.Calls {
			ids = append(ids, c.ID)
		}
		if len(out.Calls) < 100 {
			return ids
		}
	}
	return ids
}
