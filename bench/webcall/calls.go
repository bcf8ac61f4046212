package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// run is one server with one host whose dashboard stays open in a tab,
// and one link guests join.
type run struct {
	srv     *server
	browser context.Context
	host    context.Context
	code    string
	// firstCall is set by the first call: its id, the guest's cookies for
	// its pages, and the in-call page weighed while it was under way.
	firstCall   string
	guestCookie string
	inCall      weight
}

// sample is one call: from the host's click on "Answer" to the host's
// in-call page loaded, and to each side's peer connection connecting, first remote video frame decoded, and first
// remote video frame shown.
type sample struct {
	// HostLoaded is when the host's in-call page was parsed (the answer
	// posted, the redirect followed, the page loaded).
	HostLoaded                               time.Duration
	HostConnected, HostDecoded, HostShown    time.Duration
	GuestConnected, GuestDecoded, GuestShown time.Duration
}

// setUpHost signs a host up on the pages, connects payouts and creates a
// link, and leaves the tab on the dashboard.
func (r *run) setUpHost(ctx context.Context) error {
	base := r.srv.base
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/signup"),
		fill("Your name", "Bench Host"), fill("Email", "host@example.com"), fill("Username", "benchhost"),
		fill("Password", "correct horse battery"),
		chromedp.Click(label("radio", "sell my time (host)"), named("radio", "sell my time (host)")),
		press("Sign up"), chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")),
		chromedp.Navigate(base+"/settings/payouts"), press("Set up payouts"),
		chromedp.WaitVisible(chromedp.CSS(`#payout-status[data-status="connected"]`)),
		chromedp.Navigate(base+"/dashboard"), fill("Rate per minute (USD)", "1.00"), press("Create link"),
		chromedp.WaitVisible(label("textbox", "Link address"), named("textbox", "Link address")))
	if err != nil {
		return fmt.Errorf("set up the host: %w", err)
	}
	addr, err := chromedp.Run(ctx, chromedp.Value(label("textbox", "Link address"), named("textbox", "Link address")))
	if err != nil {
		return err
	}
	code, ok := strings.CutPrefix(addr, base+"/c/")
	if !ok {
		return fmt.Errorf("the dashboard offers the link address %q", addr)
	}
	r.code = code
	return nil
}

// call has a guest in a fresh browser context join and wait, the host
// answer, both sides see each other's video, and the guest hang up.
func (r *run) call(ctx context.Context, n int) (sample, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	base := r.srv.base
	guestTab, closeGuest, err := newTab(r.browser)
	if err != nil {
		return sample{}, err
	}
	defer closeGuest()
	guest, cancelGuest := context.WithCancel(guestTab)
	defer cancelGuest()
	stop := context.AfterFunc(ctx, cancelGuest)
	defer stop()
	host, cancelHost := context.WithCancel(r.host)
	defer cancelHost()
	stopHost := context.AfterFunc(ctx, cancelHost)
	defer stopHost()

	err = chromedp.Do(guest, chromedp.Navigate(base+"/c/"+r.code),
		fill("Your name", fmt.Sprintf("Guest %d", n)), pick("Test card", "pm_card_visa"), press("Pay and join"))
	if err != nil {
		return sample{}, fmt.Errorf("join: %w", err)
	}
	path, err := waitPath(guest, base, "/call/")
	if err != nil {
		return sample{}, err
	}
	if r.firstCall == "" {
		if err := r.weighInCall(guest, path); err != nil {
			return sample{}, err
		}
	}

	// The host's dashboard rings; the click on Answer starts the clock.
	answer, err := chromedp.Run(host, chromedp.Nodes(label("button", "Answer"), named("button", "Answer"), chromedp.NodeVisible))
	if err != nil {
		return sample{}, fmt.Errorf("the dashboard did not ring: %w", err)
	}
	t0 := time.Now()
	if err := chromedp.Do(host, chromedp.MouseClickNode(answer[0])); err != nil {
		return sample{}, fmt.Errorf("answer: %w", err)
	}
	if _, err := waitPath(host, base, path); err != nil {
		return sample{}, err
	}
	s, err := waitMedia(ctx, host, guest, t0)
	if err != nil {
		return s, err
	}

	err = chromedp.Do(guest, press("Hang up"))
	if err == nil {
		err = waitStatus(guest, "completed")
	}
	if err == nil {
		err = waitStatus(host, "completed")
	}
	if err == nil {
		err = chromedp.Do(host, chromedp.Navigate(base+"/dashboard"))
	}
	return s, err
}

// waitMedia waits until both sides have shown a remote frame and measures
// each step from t0.
func waitMedia(ctx context.Context, host, guest context.Context, t0 time.Time) (sample, error) {
	since := func(ms float64) time.Duration {
		return time.UnixMicro(int64(ms * 1000)).Sub(t0)
	}
	for {
		h, herr := readProbe(host)
		g, gerr := readProbe(guest)
		if herr == nil && gerr == nil && h.ShownAt > 0 && g.ShownAt > 0 && h.DecodedAt > 0 && g.DecodedAt > 0 {
			return sample{
				HostLoaded:    since(h.LoadedAt),
				HostConnected: since(h.ConnectedAt), HostDecoded: since(h.DecodedAt), HostShown: since(h.ShownAt),
				GuestConnected: since(g.ConnectedAt), GuestDecoded: since(g.DecodedAt), GuestShown: since(g.ShownAt),
			}, nil
		}
		select {
		case <-ctx.Done():
			return sample{}, fmt.Errorf("no remote frame on both sides: host %+v (%v), guest %+v (%v): %w", h, herr, g, gerr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// weighInCall weighs the guest's in-call page of a call under way, with
// the guest's cookies, and keeps them to weigh the summary later.
func (r *run) weighInCall(guest context.Context, path string) error {
	cookie, err := cookieHeader(guest, r.srv.base+path)
	if err != nil {
		return err
	}
	w, err := weigh(guest, r.srv.base, "in-call (guest)", path, cookie)
	if err != nil {
		return err
	}
	r.firstCall, r.guestCookie, r.inCall = path, cookie, w
	return nil
}
