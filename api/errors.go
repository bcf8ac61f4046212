package api

import (
	"encoding/json"
	"net/http"

	"github.com/vidivo/vidivo"
)

// errorBody is the documented error envelope.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Details []vidivo.FieldError `json:"details,omitempty"`
}

// writeError renders err in the documented format. Internal errors are
// logged with the request id and shown to the user only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := vidivo.ErrorCode(err)
	status := vidivo.HTTPStatus(code)
	switch code {
	case vidivo.EINTERNAL:
		s.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", vidivo.RedactPath(r.URL.Path), "err", err)
	case vidivo.ESTRIPE, vidivo.EPAYMENTFAILED:
		s.Logger.WarnContext(r.Context(), "payment failed", "method", r.Method, "path", vidivo.RedactPath(r.URL.Path), "err", err)
	}
	writeJSON(w, status, errorBodyOf(err))
}

// writeJSON writes v as the JSON response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here; keep the response well-formed.
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
