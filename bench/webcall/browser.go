package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// newTab opens a tab in a browser context of its own (its own cookies)
// with the probe installed in every document it loads.
func newTab(browser context.Context) (context.Context, context.CancelFunc, error) {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	err := chromedp.Do(ctx, func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probeJS})
		return chromedp.Void{}, err
	})
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("open tab: %w", err)
	}
	return ctx, cancel, nil
}

// probeJS is the benchmark's instrument, run in each document before the
// page's own scripts: it records (epoch milliseconds) when the document
// was parsed (DOMContentLoaded), when the page's peer connection first
// connects, when it has decoded its first remote
// video frame (getStats, polled every 10 ms), and when the "Remote video"
// element presents its first frame (requestVideoFrameCallback).
const probeJS = `(() => {
  const rec = { loadedAt: 0, connectedAt: 0, decodedAt: 0, shownAt: 0 };
  Object.defineProperty(window, '__vidivoBench', { value: rec });
  const now = () => performance.timeOrigin + performance.now();
  document.addEventListener('DOMContentLoaded', () => { rec.loadedAt = now(); });
  const Orig = window.RTCPeerConnection;
  if (!Orig) return;
  window.RTCPeerConnection = class extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected' && !rec.connectedAt) rec.connectedAt = now();
      });
      this.addEventListener('track', (ev) => {
        if (ev.track.kind !== 'video') return;
        const v = document.querySelector('video[aria-label="Remote video"]');
        if (v && v.requestVideoFrameCallback) {
          v.requestVideoFrameCallback((t) => { if (!rec.shownAt) rec.shownAt = performance.timeOrigin + t; });
        }
        const poll = setInterval(async () => {
          if (this.connectionState === 'closed') return clearInterval(poll);
          const stats = await this.getStats();
          stats.forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0 && !rec.decodedAt) rec.decodedAt = now();
          });
          if (rec.decodedAt) clearInterval(poll);
        }, 10);
      });
    }
  };
})();`

// probe is what probeJS recorded, in epoch milliseconds (0: not yet).
type probe struct {
	LoadedAt    float64 `json:"loadedAt"`
	ConnectedAt float64 `json:"connectedAt"`
	DecodedAt   float64 `json:"decodedAt"`
	ShownAt     float64 `json:"shownAt"`
}

func readProbe(ctx context.Context) (probe, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[probe](`window.__vidivoBench || {loadedAt: 0, connectedAt: 0, decodedAt: 0, shownAt: 0}`))
}

// named selects elements by ARIA role and accessible name, as the browser
// tests do.
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
			return nil, nil
		}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend,
			dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		return pushed.NodeIDs, err
	})
}

func label(role, name string) string { return role + " " + fmt.Sprintf("%q", name) }

func fill(name, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(label("textbox", name), text, named("textbox", name))
}

func press(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(label("button", name), named("button", name))
}

func pick(name, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(label("combobox", name), value, named("combobox", name))
}

// waitPath waits until the tab's URL starts with base+prefix and returns
// its path.
func waitPath(ctx context.Context, base, prefix string) (string, error) {
	for {
		loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
		if err == nil && strings.HasPrefix(loc, base+prefix) {
			path, _, _ := strings.Cut(strings.TrimPrefix(loc, base), "?")
			return path, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %s (at %s): %w", prefix, loc, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitStatus waits for the call page's data-call-status to be want.
func waitStatus(ctx context.Context, want string) error {
	for {
		st, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('main[data-call-status]') || {dataset: {}}).dataset.callStatus || ''`))
		if err == nil && st == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for data-call-status %s (saw %q): %w", want, st, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// cookieHeader is the Cookie header the tab's browser context sends to u,
// HttpOnly cookies included.
func cookieHeader(ctx context.Context, u string) (string, error) {
	cookies, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
		return res.Cookies, err
	})
	if err != nil {
		return "", err
	}
	if len(cookies) == 0 {
		return "", errors.New("no cookies for " + u)
	}
	var parts []string
	for _, c := range cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; "), nil
}
