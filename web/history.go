package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/sessions"
)

// shortTime is a time in a table whose header says UTC.
const shortTime = "2 Jan 2006 15:04"

// historyPerPage is how many calls a history page lists.
const historyPerPage = vidivo.DefaultPerPage

// historyRow is one past call as the history lists it.
type historyRow struct {
	ID       string
	Date     string
	With     string
	AsHost   bool
	Status   vidivo.CallStatus
	Ended    bool
	Duration string
	Minutes  int64
	Rate     vidivo.Money
	Total    vidivo.Money
	Fee      vidivo.Money
	Earnings vidivo.Money
}

// historyView is one page of the user's calls with the page's sums.
type historyView struct {
	Host       bool
	FeePercent int
	Rows       []historyRow
	// Sums over the page's ended calls.
	Minutes  int64
	Total    vidivo.Money
	Earnings vidivo.Money
	Page     int
	Pages    int
	Count    int
	// Fees are the host's latest session fees (first page only), FeeSums
	// the sums over all of them.
	Fees    []sessions.FeeRow
	FeeSums vidivo.SessionEarnings
}

// Date is when a session fee was paid, as the table's header says: UTC.
func (v *historyView) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(shortTime)
}

// PrevURL and NextURL are the neighbouring pages, or "" at either end.
func (v *historyView) PrevURL() string {
	if v.Page <= 1 {
		return ""
	}
	return "/dashboard/history?page=" + strconv.Itoa(v.Page-1)
}

func (v *historyView) NextURL() string {
	if v.Page >= v.Pages {
		return ""
	}
	return "/dashboard/history?page=" + strconv.Itoa(v.Page+1)
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) error {
	u, ok, err := s.requireUser(w, r)
	if !ok {
		return err
	}
	page, _, errs := vidivo.ParsePage(r.URL.Query().Get("page"), "")
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	hv, err := s.history(r, u, page, historyPerPage)
	if err != nil {
		return err
	}
	if hv.Host && page == 1 && s.Sessions != nil {
		if hv.Fees, hv.FeeSums, err = s.Sessions.FeeHistory(r.Context(), u.ID, historyPerPage); err != nil {
			return err
		}
	}
	s.render(w, r, http.StatusOK, "history", view{Title: "Call history", User: u, Data: hv})
	return nil
}

// history loads a page of u's calls, newest first, with each ended call's
// totals and, for the calls u hosted, the earnings after the platform fee.
func (s *Server) history(r *http.Request, u *vidivo.User, page, perPage int) (*historyView, error) {
	res, err := s.CallStore.Calls(r.Context(), vidivo.CallFilter{UserID: u.ID, Page: page, PerPage: perPage})
	if err != nil {
		return nil, err
	}
	hv := &historyView{Host: u.Role == vidivo.RoleHost, FeePercent: s.Calls.PlatformFeePercent, Page: page, Count: res.Total,
		Pages: max(1, (res.Total+perPage-1)/perPage)}
	hostNames := map[string]string{}
	for _, c := range res.Calls {
		row, err := s.historyRow(r, u, c, hostNames)
		if err != nil {
			return nil, err
		}
		hv.Rows = append(hv.Rows, row)
		if row.Ended {
			hv.Minutes += row.Minutes
			hv.Total += row.Total
			hv.Earnings += row.Earnings
		}
	}
	return hv, nil
}

func (s *Server) historyRow(r *http.Request, u *vidivo.User, c *vidivo.Call, hostNames map[string]string) (historyRow, error) {
	row := historyRow{ID: c.ID, Date: c.CreatedAt.UTC().Format(shortTime), AsHost: c.HostID == u.ID, Status: c.Status,
		Ended: c.Status.Ended(), Duration: clock(c.DurationSeconds), Minutes: c.BilledMinutes, Rate: c.Rate, Total: c.TotalCharged}
	if row.AsHost {
		row.With = guestName(c.GuestName)
	} else {
		name, ok := hostNames[c.HostID]
		if !ok {
			if h, err := s.Users.UserByID(r.Context(), c.HostID); err == nil {
				name = h.DisplayName
			}
			hostNames[c.HostID] = name
		}
		row.With = name
	}
	if !row.AsHost || !row.Ended || c.TotalCharged == 0 {
		return row, nil
	}
	e, err := s.Calls.Earnings(r.Context(), c)
	if err != nil {
		return row, err
	}
	row.Fee, row.Earnings = e.Fee, e.Host
	return row, nil
}
