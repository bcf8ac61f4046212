package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vidivo/vidivo"
	"github.com/vidivo/vidivo/webhooks"
)

// Page sizes of the webhook lists (Calendly's count).
const (
	defaultWebhookCount = 20
	maxWebhookCount     = 100
)

type webhookCreateRequest struct {
	URL          string   `json:"url"`
	Events       []string `json:"events"`
	Organization *string  `json:"organization"`
	User         *string  `json:"user"`
	Scope        string   `json:"scope"`
	SigningKey   *string  `json:"signing_key"`
}

type webhookJSON struct {
	URI            string   `json:"uri"`
	CallbackURL    string   `json:"callback_url"`
	CreatedAt      string   `json:"created_at"`
	UpdatedAt      string   `json:"updated_at"`
	RetryStartedAt *string  `json:"retry_started_at"`
	State          string   `json:"state"`
	Events         []string `json:"events"`
	Scope          string   `json:"scope"`
	Organization   *string  `json:"organization"`
	User           *string  `json:"user"`
	Creator        string   `json:"creator"`
	// SigningKey is only in the answer to the creation.
	SigningKey string `json:"signing_key,omitempty"`
}

type webhookDeliveryJSON struct {
	URI           string  `json:"uri"`
	ID            string  `json:"id"`
	WebhookID     string  `json:"webhook_id"`
	Event         string  `json:"event"`
	Status        string  `json:"status"`
	Attempt       int     `json:"attempt"`
	ResponseCode  *int    `json:"response_code"`
	DurationMS    *int64  `json:"duration_ms"`
	Error         *string `json:"error"`
	NextAttemptAt *string `json:"next_attempt_at"`
	CreatedAt     string  `json:"created_at"`
	UpdatedAt     string  `json:"updated_at"`
}

func (s *Server) webhookURI(id string) string { return s.PublicURL + "/v1/webhook_subscriptions/" + id }

func (s *Server) webhookJSON(sub *vidivo.WebhookSubscription) webhookJSON {
	out := webhookJSON{URI: s.webhookURI(sub.ID), CallbackURL: sub.URL, CreatedAt: formatTime(sub.CreatedAt),
		UpdatedAt: formatTime(sub.UpdatedAt), State: string(sub.State), Events: sub.Events, Scope: string(sub.Scope),
		Creator: s.userURI(sub.CreatorID)}
	if out.Events == nil {
		out.Events = []string{}
	}
	if sub.RetryStartedAt != nil {
		t := formatTime(*sub.RetryStartedAt)
		out.RetryStartedAt = &t
	}
	if sub.OrganizationID != "" {
		o := s.PublicURL + "/v1/organizations/" + sub.OrganizationID
		out.Organization = &o
	}
	if sub.UserID != "" {
		u := s.userURI(sub.UserID)
		out.User = &u
	}
	return out
}

func (s *Server) webhookDeliveryJSON(d *vidivo.WebhookDelivery) webhookDeliveryJSON {
	out := webhookDeliveryJSON{URI: s.webhookURI(d.SubscriptionID) + "/deliveries/" + d.ID, ID: d.ID, WebhookID: d.ID,
		Event: d.Event, Status: string(d.Status), Attempt: d.Attempts, ResponseCode: d.ResponseCode,
		CreatedAt: formatTime(d.CreatedAt), UpdatedAt: formatTime(d.UpdatedAt)}
	if d.Duration != nil {
		ms := d.Duration.Milliseconds()
		out.DurationMS = &ms
	}
	if d.Error != "" {
		e := d.Error
		out.Error = &e
	}
	if d.NextAttempt != nil && d.Status == vidivo.DeliveryPending {
		t := formatTime(*d.NextAttempt)
		out.NextAttemptAt = &t
	}
	return out
}

// refID takes the id out of a uri {PublicURL}/v1/{kind}/{id} (or a bare
// id); false when ref is neither.
func (s *Server) refID(ref, kind string) (string, bool) {
	id, ok := strings.CutPrefix(ref, s.PublicURL+"/v1/"+kind+"/")
	if !ok {
		id = ref
	}
	return id, vidivo.IsID(id)
}

// optionalRef reads an optional uri field into an id, adding its issue.
func (s *Server) optionalRef(ref *string, field, kind string, errs *[]vidivo.FieldError) string {
	if ref == nil || *ref == "" {
		return ""
	}
	id, ok := s.refID(*ref, kind)
	if !ok {
		*errs = append(*errs, vidivo.FieldError{Field: field, Issue: "must be a " + strings.TrimSuffix(kind, "s") +
			" uri such as " + s.PublicURL + "/v1/" + kind + "/{id}"})
	}
	return id
}

// handleWebhookCreate is POST /v1/webhook_subscriptions.
func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	var in webhookCreateRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var errs []vidivo.FieldError
	req := webhooks.NewSubscription{URL: in.URL, Events: in.Events, Scope: vidivo.WebhookScope(in.Scope),
		UserID: s.optionalRef(in.User, "user", "users", &errs), OrganizationID: s.optionalRef(in.Organization, "organization", "organizations", &errs)}
	if in.SigningKey != nil {
		req.SigningKey = *in.SigningKey
		if req.SigningKey == "" {
			errs = append(errs, vidivo.FieldError{Field: "signing_key", Issue: "must not be empty; leave it out to have one generated"})
		}
	}
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	if OAuthAccessFrom(r.Context()) != nil {
		// An app's subscription always gets a generated key, as the
		// seed's integrations do: an app never chooses the secret.
		req.SigningKey = ""
	}
	sub, err := s.Webhooks.Create(r.Context(), CallerFrom(r.Context()).Subject, req)
	if err != nil {
		return err
	}
	out := s.webhookJSON(sub)
	out.SigningKey = sub.SigningKey
	writeJSON(w, http.StatusCreated, map[string]webhookJSON{"resource": out})
	return nil
}

// handleWebhookList is GET /v1/webhook_subscriptions?scope=&user=&organization=.
func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var errs []vidivo.FieldError
	f := vidivo.WebhookFilter{Scope: vidivo.WebhookScope(q.Get("scope"))}
	user, org := q.Get("user"), q.Get("organization")
	f.UserID = s.optionalRef(&user, "user", "users", &errs)
	f.OrganizationID = s.optionalRef(&org, "organization", "organizations", &errs)
	switch f.Scope {
	case vidivo.WebhookScopeUser:
		if user == "" {
			errs = append(errs, vidivo.FieldError{Field: "user", Issue: "is required for the user scope"})
		}
	case vidivo.WebhookScopeOrganization:
		if org == "" {
			errs = append(errs, vidivo.FieldError{Field: "organization", Issue: "is required for the organization scope"})
		}
	default:
		errs = append(errs, vidivo.FieldError{Field: "scope", Issue: `is required: "user" or "organization"`})
	}
	key := "webhooks|" + string(f.Scope) + "|" + f.UserID + "|" + f.OrganizationID
	f.Limit, f.Before, errs = s.webhookPage(q, key, errs)
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	subs, more, err := s.Webhooks.List(r.Context(), CallerFrom(r.Context()).Subject, f)
	if err != nil {
		return err
	}
	out := struct {
		Collection []webhookJSON      `json:"collection"`
		Pagination calendlyPagination `json:"pagination"`
	}{Collection: make([]webhookJSON, 0, len(subs))}
	for _, sub := range subs {
		out.Collection = append(out.Collection, s.webhookJSON(sub))
	}
	out.Pagination = s.nextPagination(r, q, key, len(subs), more, func() string { return subs[len(subs)-1].ID })
	writeJSON(w, http.StatusOK, out)
	return nil
}

// webhookPage reads count and page_token; key binds a token to its list.
func (s *Server) webhookPage(q url.Values, key string, errs []vidivo.FieldError) (int, string, []vidivo.FieldError) {
	limit := defaultWebhookCount
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxWebhookCount {
			errs = append(errs, vidivo.FieldError{Field: "count", Issue: "must be an integer from 1 to 100"})
		}
		limit = n
	}
	before := ""
	if v := q.Get("page_token"); v != "" {
		c, ok := s.decodeCursor(v, key)
		if !ok {
			errs = append(errs, vidivo.FieldError{Field: "page_token", Issue: "is not a page token of this list"})
		}
		before = c.Before
	}
	return limit, before, errs
}

// handleWebhookGet is GET /v1/webhook_subscriptions/{id}.
func (s *Server) handleWebhookGet(w http.ResponseWriter, r *http.Request) error {
	sub, err := s.Webhooks.Get(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]webhookJSON{"resource": s.webhookJSON(sub)})
	return nil
}

// handleWebhookDelete is DELETE /v1/webhook_subscriptions/{id}.
func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.Webhooks.Delete(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleWebhookDeliveries is GET /v1/webhook_subscriptions/{id}/deliveries.
func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	id := r.PathValue("id")
	key := "deliveries|" + id
	limit, before, errs := s.webhookPage(q, key, nil)
	if len(errs) > 0 {
		return vidivo.Invalid(errs...)
	}
	ds, more, err := s.Webhooks.Deliveries(r.Context(), CallerFrom(r.Context()).Subject,
		vidivo.WebhookDeliveryFilter{SubscriptionID: id, Before: before, Limit: limit})
	if err != nil {
		return err
	}
	out := struct {
		Collection []webhookDeliveryJSON `json:"collection"`
		Pagination calendlyPagination    `json:"pagination"`
	}{Collection: make([]webhookDeliveryJSON, 0, len(ds))}
	for _, d := range ds {
		out.Collection = append(out.Collection, s.webhookDeliveryJSON(d))
	}
	out.Pagination = s.nextPagination(r, q, key, len(ds), more, func() string { return ds[len(ds)-1].ID })
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleWebhookRedeliver is POST
// /v1/webhook_subscriptions/{id}/deliveries/{delivery_id}/redeliver: the
// delivery is sent again (same webhook-id and body) by the job queue; 202.
func (s *Server) handleWebhookRedeliver(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Webhooks.Redeliver(r.Context(), CallerFrom(r.Context()).Subject, r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]webhookDeliveryJSON{"resource": s.webhookDeliveryJSON(d)})
	return nil
}
