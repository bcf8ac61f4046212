package vidivo

import "strings"

// secretPathPrefixes are the routes whose next path segment is a bearer
// secret: whoever holds the URL may use it (a participant's entry URL, an
// organization invitation). Logs keep the route but not the secret.
var secretPathPrefixes = []string{
	"/s/",
	"/v1/sessions/entry/",
	"/v1/organization_invitations/",
}

// RedactPath is path as the logs may show it: the secret segment of a
// secret-bearing URL is replaced by "REDACTED".
func RedactPath(path string) string {
	for _, prefix := range secretPathPrefixes {
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok || rest == "" {
			continue
		}
		if _, tail, found := strings.Cut(rest, "/"); found {
			return prefix + "REDACTED/" + tail
		}
		return prefix + "REDACTED"
	}
	return path
}
