package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"github.com/vidivo/vidivo/headless"
)

// The browser tests drive Debian's chromium (the package "chromium"; .ci/run
// installs it) against the real binary, with a fake camera and microphone.
// They find controls as screen readers do, by role and accessible name, so
// the names are part of what they test.

// browserTimeout bounds one browser test.
const browserTimeout = 90 * time.Second

// startPublicInstance runs the binary on a free port with the public URL
// set to it, as a browser must see the same origin the server expects
// (cookies, CSRF, the WebSocket origin check).
func startPublicInstance(ctx context.Context, t *testing.T, env ...string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env = append([]string{"VIDIVO_ADDR=" + addr, "VIDIVO_PUBLIC_URL=http://" + addr, "VIDIVO_METRICS_ADDR=off"}, env...)
	s := startInstance(ctx, t, "web", t.TempDir(), env...)
	if s.base != "http://"+addr {
		t.Fatalf("instance listens on %s, want %s", s.base, addr)
	}
	return s
}

// newBrowser starts a headless chromium with fake media devices and
// returns its context; each tab made from it with newTab is a separate
// browser context (its own cookies), like two people on two machines.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel, err := headless.Start(headless.Chromium, t.TempDir())
	if err != nil {
		t.Fatalf("the browser tests need Debian's chromium: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// newTab opens a tab in a browser context of its own.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return ctx
}

// named selects the elements with an ARIA role and accessible name, as a
// screen reader finds them ("textbox" "Email", "button" "Log in").
func named(role, name string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{
			NodeID: n.NodeID, AccessibleName: name, Role: role})
		if err != nil {
			return nil, err
		}
		var backend []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if ax.BackendDOMNodeID != 0 && !ax.Ignored {
				backend = append(backend, ax.BackendDOMNodeID)
			}
		}
		if len(backend) == 0 {
			return nil, nil // not there yet: the query waits
		}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend,
			dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		return pushed.NodeIDs, err
	})
}

// label is a selector's text in error messages.
func label(role, name string) string { return role + " " + fmt.Sprintf("%q", name) }

// fill types text into the text box named name.
func fill(name, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(label("textbox", name), text, named("textbox", name))
}

// press clicks the button named name.
func press(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(label("button", name), named("button", name))
}

var (
	shotsOnce sync.Once
	shotsDir  string
)

// screenshots writes full-page screenshots of the tab's page at desktop
// width and at 375 px (a small phone) into one directory per test run,
// named in the test's output, for people to look at.
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shotsOnce.Do(func() {
		shotsDir = os.Getenv("VIDIVO_SCREENSHOTS")
		if shotsDir == "" {
			shotsDir = filepath.Join(os.TempDir(), "vidivo-screenshots-"+time.Now().UTC().Format("20060102T150405"))
		}
		if err := os.MkdirAll(shotsDir, 0o755); err != nil {
			t.Fatal(err)
		}
	})
	for _, size := range []struct {
		suffix        string
		width, height int64
	}{{"desktop", 1280, 800}, {"375px", 375, 740}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.width, size.height)); err != nil {
			t.Fatalf("viewport for %s: %v", name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(shotsDir, name+"-"+size.suffix+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots of %s in %s", name, shotsDir)
}

// location is the tab's current path and query.
func location(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(loc, base)
}

// TestBrowserAccount signs a host up, out and in again through the pages,
// finding every control by its accessible name.
func TestBrowserAccount(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	s := startPublicInstance(ctx, t)
	tab := newTab(t, newBrowser(t))

	if err := chromedp.Do(tab, chromedp.Navigate(s.base+"/")); err != nil {
		t.Fatal(err)
	}
	screenshots(t, tab, "home")
	if err := chromedp.Do(tab, chromedp.Navigate(s.base+"/signup")); err != nil {
		t.Fatal(err)
	}
	screenshots(t, tab, "signup")
	err := chromedp.Do(tab,
		fill("Your name", "Jane Smith"),
		fill("Email", "jane@example.com"),
		fill("Username", "janecoach"),
		fill("Password", "correct horse battery"),
		chromedp.Click(label("radio", "sell my time (host)"), named("radio", "sell my time (host)")),
		press("Sign up"),
		chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")),
	)
	if err != nil {
		t.Fatalf("sign up: %v", err)
	}
	if loc := location(t, tab, s.base); !strings.HasPrefix(loc, "/dashboard") {
		t.Errorf("after sign-up the browser is at %s, want /dashboard", loc)
	}
	err = chromedp.Do(tab,
		press("Log out"),
		chromedp.WaitVisible(label("link", "Log in"), named("link", "Log in")),
		chromedp.Navigate(s.base+"/login"),
	)
	if err != nil {
		t.Fatalf("log out: %v", err)
	}
	screenshots(t, tab, "login")
	err = chromedp.Do(tab,
		fill("Email", "jane@example.com"),
		fill("Password", "wrong horse battery"),
		press("Log in"),
		chromedp.WaitVisible(label("alert", ""), named("alert", "")),
	)
	if err != nil {
		t.Fatalf("log in with a wrong password: %v", err)
	}
	screenshots(t, tab, "login-refused")
	err = chromedp.Do(tab,
		fill("Password", "correct horse battery"),
		press("Log in"),
		chromedp.WaitVisible(label("button", "Log out"), named("button", "Log out")),
	)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
}
