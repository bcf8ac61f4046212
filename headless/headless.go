// Package headless starts Debian's chromium without a screen, with a fake
// camera and microphone that need no permission prompt: the browser the
// page tests and the page benchmarks drive through chromedp.
package headless

import (
	"context"
	"fmt"
	"os"

	"github.com/chromedp/chromedp"
)

// Chromium is where Debian's chromium package installs the browser.
const Chromium = "/usr/bin/chromium"

// Start starts the browser at execPath with its profile in dataDir (a
// fresh directory keeps runs apart) and returns its context; tabs made
// from it with chromedp.NewContext live until cancel.
func Start(execPath, dataDir string) (context.Context, context.CancelFunc, error) {
	if _, err := os.Stat(execPath); err != nil {
		return nil, nil, fmt.Errorf("no chromium at %s (apt-get install chromium; .ci/run does): %w", execPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Full-page screenshots drop the scrollbar but keep its width off
		// the picture, cutting the right edge: no scrollbars.
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(dataDir),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	// The first Run starts the browser; it lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return ctx, func() { cancel(); cancelAlloc() }, nil
}
