package apitest

import (
	"net/netip"

	"github.com/vidivo/vidivo/webhook"
)

// WebhookGuard lets test servers deliver webhooks to receivers on
// loopback (127.0.0.0/8), as VIDIVO_WEBHOOK_ALLOW_NETS=127.0.0.0/8 does.
var WebhookGuard = webhook.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
