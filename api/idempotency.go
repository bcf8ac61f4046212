package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/vidivo/vidivo"
)

// maxIdempotencyKeyLen bounds X-Idempotency-Key (a UUID is 36).
const maxIdempotencyKeyLen = 255

// result is a handler's outcome before it is written, so it can be stored
// for replays of the same idempotency key.
type result struct {
	status int
	body   any
}

// idempotent runs fn once per X-Idempotency-Key within scope. A replay
// with the same body gets the stored first response (with an
// Idempotent-Replayed header) and causes nothing; a replay with another
// body, or while the first is still running, is 409. Errors users caused
// (4xx) are stored like successes; internal errors are not, so the client
// may retry. Without the header fn simply runs.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, scope string, raw []byte, fn func() (result, error)) error {
	key := r.Header.Get("X-Idempotency-Key")
	if key == "" {
		res, err := fn()
		if err != nil {
			return err
		}
		writeJSON(w, res.status, res.body)
		return nil
	}
	// The key is stored: it must be text every database holds.
	if fe := vidivo.CheckText("X-Idempotency-Key", key, vidivo.TextRule{Max: maxIdempotencyKeyLen}); fe != nil {
		return vidivo.Invalid(*fe)
	}
	sum := sha256.Sum256(raw)
	ctx := r.Context()
	stored, err := s.Idempotency.ClaimIdempotencyKey(ctx, scope, key, hex.EncodeToString(sum[:]))
	if err != nil {
		return err
	}
	if stored != nil {
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(stored.Status)
		w.Write(stored.Body)
		return nil
	}
	res, err := fn()
	if err != nil {
		if vidivo.ErrorCode(err) == vidivo.EINTERNAL {
			if rerr := s.Idempotency.ReleaseIdempotencyKey(ctx, scope, key); rerr != nil {
				s.Logger.ErrorContext(ctx, "release idempotency key", "err", rerr)
			}
			return err
		}
		res = result{status: vidivo.HTTPStatus(vidivo.ErrorCode(err)), body: errorBodyOf(err)}
	}
	body, merr := json.Marshal(res.body)
	if merr != nil {
		return merr
	}
	body = append(body, '\n')
	if err := s.Idempotency.CompleteIdempotencyKey(ctx, scope, key, vidivo.StoredResponse{Status: res.status, Body: body}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(res.status)
	w.Write(body)
	return nil
}

func errorBodyOf(err error) errorBody {
	return errorBody{Error: errorDetail{Code: vidivo.ErrorCode(err), Message: vidivo.ErrorMessage(err), Details: vidivo.ErrorDetails(err)}}
}
