package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vidivo/vidivo"
)

// TestHistorySessionFees: a host's history lists the fees participants
// paid for their group sessions — captured ones with the platform's fee
// and the host's earnings, refunded ones (the host canceled) as refunded —
// and the sums over all of them; a client's history has no such section.
func TestHistorySessionFees(t *testing.T) {
	t.Parallel()
	forEngine(t, func(t *testing.T, s *site) {
		ctx := context.Background()
		b := s.host(t, "Jane")
		jane := vidivo.Caller{Subject: userID(t, s, "jane"), Role: vidivo.RoleHost}
		if p := b.get("/dashboard/history"); strings.Contains(p.Body, "Session fees") {
			t.Errorf("the history shows session fees before there are any:\n%s", p.Body)
		}

		schedule := func(name string, fees ...vidivo.Money) (*vidivo.Session, []string) {
			t.Helper()
			start := s.Clock.Now().Add(24 * time.Hour).Truncate(time.Minute)
			in := vidivo.SessionInput{Name: name, StartTime: start, EndTime: start.Add(time.Hour),
				Participants: []vidivo.ParticipantInput{{DisplayName: "Jane", Role: vidivo.ParticipantHost}}}
			for i, fee := range fees {
				in.Participants = append(in.Participants, vidivo.ParticipantInput{DisplayName: []string{"Ana", "Ben"}[i], Role: vidivo.ParticipantGuest, Fee: fee})
			}
			sess, err := s.Server.Sessions.Create(ctx, jane, in)
			if err != nil {
				t.Fatal(err)
			}
			var toks []string
			for _, p := range sess.Participants[1:] {
				tok := s.Server.Sessions.EntryURLOf(p)
				toks = append(toks, tok[strings.LastIndex(tok, "/")+1:])
			}
			return sess, toks
		}
		pay := func(tok string) {
			t.Helper()
			if _, _, err := s.Server.Sessions.Pay(ctx, tok, "pm_card_visa"); err != nil {
				t.Fatal(err)
			}
			s.Clock.Add(time.Minute)
		}
		yoga, toks := schedule("Yoga circle", 2500, 1000)
		pay(toks[0])
		pay(toks[1])
		canceled, toks := schedule("Canceled workshop", 4000)
		pay(toks[0])
		if _, err := s.Server.Sessions.Cancel(ctx, jane, canceled.ID); err != nil {
			t.Fatal(err)
		}

		p := b.get("/dashboard/history")
		if p.Status != http.StatusOK || !strings.Contains(p.Body, `<h2 id="session-fees">Session fees</h2>`) {
			t.Fatalf("history = %d, without session fees:\n%s", p.Status, p.Body)
		}
		rows := feeRows(p.Body)
		want := []string{
			// Newest first: the refunded fee keeps no platform fee or earnings.
			"Canceled workshop|Ana|refunded|$40.00|—|—",
			"Yoga circle|Ben|captured|$10.00|$1.00|$9.00",
			"Yoga circle|Ana|captured|$25.00|$2.50|$22.50",
		}
		if strings.Join(rows, "\n") != strings.Join(want, "\n") {
			t.Errorf("session fee rows =\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
		}
		for id, v := range map[string]string{"fees-paid": "$35.00", "fees-platform": "$3.50", "fees-earnings": "$31.50"} {
			if !strings.Contains(p.Body, `id="`+id+`">`+v+`<`) {
				t.Errorf("%s is not %s", id, v)
			}
		}
		if !strings.Contains(p.Body, "($40.00 refunded)") {
			t.Error("the sums do not say what was refunded")
		}
		if !strings.Contains(p.Body, `data-session="`+yoga.ID+`"`) {
			t.Error("the rows do not carry their session")
		}

		client := s.signedUp(t, "Casey", vidivo.RoleClient)
		if p := client.get("/dashboard/history"); strings.Contains(p.Body, "Session fees") {
			t.Errorf("a client's history shows session fees:\n%s", p.Body)
		}
	})
}

// feeRows reads the session fee table's rows as "cell|cell|…", the
// date left out.
func feeRows(body string) []string {
	var rows []string
	for _, tr := range strings.Split(body, `<tr class="session-fee"`)[1:] {
		tr = tr[:strings.Index(tr, "</tr>")]
		var cells []string
		for _, td := range strings.Split(tr, "<td")[2:] {
			td = td[strings.Index(td, ">")+1:]
			td = td[:strings.Index(td, "</td>")]
			td = strings.NewReplacer(`<span class="muted">`, "", "</span>", "").Replace(td)
			cells = append(cells, strings.TrimSpace(td))
		}
		rows = append(rows, strings.Join(cells, "|"))
	}
	return rows
}
