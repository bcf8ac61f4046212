package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/billing"
	"github.com/vidivo/vidivo/booking"
	"github.com/vidivo/vidivo/schedule"
)

// The scheduling widget other sites embed (docs/embedding.md):
//
//   - /embed.js is the integrators' script: it frames /embed/{username}
//     (or /embed/{username}/{slug}) and relays the frame's events.
//   - /embed/{username}[/{slug}] is the frame: the host's next slots in the
//     visitor's zone. Only the origins in EmbedOrigins may frame it, and it
//     posts its events (vidivo.page_height, vidivo.date_and_time_selected,
//     vidivo.event_scheduled) to the embedding page's origin only, named
//     in ?embed_origin= and checked here against that list.
//   - The frame books nothing itself: inside another site's frame the
//     browser withholds our SameSite=Lax session cookies, so the frame
//     opens the same address with ?slot= in a pop-up window, where our
//     pages are first-party: the visitor logs in or signs up there, books,
//     and the pop-up tells the frame (same origin), which tells the page.

// embedPrefix is the path of the framable pages (api.SecurityHeaders'
// EmbedPaths says the same to the API's middleware).
const embedPrefix = "/embed/"

// embedDays is how many of the host's dates the frame offers.
const embedDays = 14

// embedRoutes registers the widget's script and pages. /embed/{username}
// is a more specific pattern than the scheduling page's /{username}/{slug},
// so a host whose username is "embed" keeps /embed for the widget.
func (s *Server) embedRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /embed.js", s.serveEmbedScript)
	for _, p := range []string{"/embed/{username}", "/embed/{username}/{slug}"} {
		m.Handle("GET "+p, s.page(s.handleEmbed))
		m.Handle("POST "+p, s.page(s.handleEmbedBook))
	}
}

// serveEmbedScript serves /embed.js. Integrators link it without a
// version, so it is cached for a day and revalidated by its ETag after.
func (s *Server) serveEmbedScript(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/embed.js")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400, stale-while-revalidate=604800")
	h.Set("ETag", `"`+s.static["embed.js"]+`"`)
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Header.Get("If-None-Match") == h.Get("ETag") {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(b)
}

// embeddable reports whether path is a framable page and framing is
// allowed at all; csp() lists the origins for such pages only.
func (s *Server) embeddable(path string) bool {
	return len(s.EmbedOrigins) > 0 && strings.HasPrefix(path, embedPrefix)
}

// parentOrigin is ?embed_origin= when it is one of EmbedOrigins, else "":
// the frame then posts no events at all.
func (s *Server) parentOrigin(r *http.Request) string {
	o := strings.ToLower(strings.TrimRight(r.URL.Query().Get("embed_origin"), "/"))
	if o == "" || !slices.Contains(s.EmbedOrigins, o) {
		return ""
	}
	return o
}

// embedParams are what the frame passes on to the booking: prefill and
// UTM parameters, read from the page's address (or the pop-up's form).
type embedParams struct {
	Name, Email, Note string
	Tracking          vidivo.Tracking
}

func readEmbedParams(get func(string) string) embedParams {
	return embedParams{Name: get("name"), Email: get("email"), Note: get("note"),
		Tracking: vidivo.Tracking{UTMSource: get("utm_source"), UTMMedium: get("utm_medium"),
			UTMCampaign: get("utm_campaign"), UTMContent: get("utm_content"), UTMTerm: get("utm_term")}}
}

// query encodes the parameters for the pop-up's address.
func (p embedParams) query(v url.Values) url.Values {
	for k, val := range map[string]string{"name": p.Name, "email": p.Email, "note": p.Note} {
		if val != "" {
			v.Set(k, val)
		}
	}
	for _, f := range p.Tracking.Fields() {
		if f.Value != "" {
			v.Set(f.Name, f.Value)
		}
	}
	return v
}

// embedView is the frame's (and the pop-up's) data.
type embedView struct {
	Host     hostView
	Username string
	Slug     string
	Path     string
	HostZone string
	Priced   bool
	Rate     vidivo.Money
	Window   int
	Minutes  int
	Days     []embedDay
	// PopupQuery is the pop-up's query without the slot, which the
	// frame's script adds.
	PopupQuery string
	Params     embedParams
}

// embedDay is one of the host's dates with its free slots.
type embedDay struct {
	Label string
	Slots []embedSlot
}

type embedSlot struct {
	Start, End time.Time
	Label      string
}

// handleEmbed serves the frame, or with ?slot= the pop-up's booking step.
func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Has("slot") {
		return s.handleEmbedConfirm(w, r)
	}
	ev, err := s.embedView(r)
	if err != nil {
		return err
	}
	main := map[string]string{"host-zone": ev.HostZone, "popup-query": ev.PopupQuery}
	if o := s.parentOrigin(r); o != "" {
		main["parent-origin"] = o
	}
	s.render(w, r, http.StatusOK, "embed", view{Title: "Book a call with " + ev.Host.Name, Layout: "embed-layout",
		Script: "embed-frame.js", Main: main, Data: ev})
	return nil
}

// embedView loads the host and the free slots of the next embedDays of
// the host's dates.
func (s *Server) embedView(r *http.Request) (embedView, error) {
	username, slug := r.PathValue("username"), r.PathValue("slug")
	host, err := s.Booking.Host(r.Context(), username)
	if err != nil {
		return embedView{}, err
	}
	a, err := s.Booking.Availability(r.Context(), host.ID)
	if err != nil {
		return embedView{}, err
	}
	loc, err := vidivo.LoadZone(a.Timezone)
	if err != nil {
		loc = time.UTC
	}
	from := schedule.DateOf(s.now().In(loc))
	res, err := s.Booking.Slots(r.Context(), booking.SlotsQuery{Username: host.Username, EventType: slug,
		From: from, To: from.AddDays(embedDays - 1)})
	if err != nil {
		return embedView{}, err
	}
	ev := embedView{Host: newHostView(host), Username: host.Username, Slug: slug, Path: r.URL.Path,
		HostZone: res.Timezone, Minutes: a.SlotMinutes, Params: readEmbedParams(r.URL.Query().Get)}
	if res.Price != nil {
		ev.Priced, ev.Rate, ev.Window = true, res.Price.Rate, res.Price.WindowMinutes
	}
	ev.PopupQuery = ev.Params.query(url.Values{}).Encode()
	for _, sl := range res.Slots {
		if !sl.Available {
			continue
		}
		ev.Minutes = int(sl.End.Sub(sl.Start) / time.Minute)
		label := sl.Start.In(loc).Format("Monday 2 January")
		if n := len(ev.Days); n == 0 || ev.Days[n-1].Label != label {
			ev.Days = append(ev.Days, embedDay{Label: label})
		}
		d := &ev.Days[len(ev.Days)-1]
		d.Slots = append(d.Slots, embedSlot{Start: sl.Start, End: sl.End, Label: sl.Start.In(loc).Format("15:04")})
	}
	return ev, nil
}

// Hold is what the first window of a call at the host's price holds.
func (ev embedView) Hold() vidivo.Money { return billing.WindowAmount(ev.Rate, ev.Window) }
