package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vidivo/vidivo"
)

// MaxBodyBytes caps every request body.
const MaxBodyBytes = 64 << 10

// decodeJSON reads the request body into dst strictly: the content type
// must be JSON, the body at most MaxBodyBytes, a single JSON value, with no
// unknown fields and every field of the right type. Each failure is a
// clear 4xx *vidivo.Error.
func decodeJSON(r *http.Request, dst any) error {
	_, err := decodeJSONBody(r, dst)
	return err
}

// decodeJSONBody is decodeJSON that also returns the raw body (to hash for
// idempotency keys).
func decodeJSONBody(r *http.Request, dst any) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, vidivo.Errorf(vidivo.EUNSUPPORTEDMEDIA, "Content-Type must be application/json")
		}
	} else if r.ContentLength != 0 {
		return nil, vidivo.Errorf(vidivo.EUNSUPPORTEDMEDIA, "Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, vidivo.Errorf(vidivo.EPAYLOADTOOLARGE, "request body must be at most %d bytes", MaxBodyBytes)
		}
		return nil, vidivo.Errorf(vidivo.EVALIDATION, "could not read request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if opt, _ := dst.(optionalBody); opt != nil && opt.bodyOptional() {
			return body, nil
		}
		return nil, vidivo.Errorf(vidivo.EVALIDATION, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return nil, jsonError(err)
	}
	if dec.More() {
		return nil, vidivo.Errorf(vidivo.EVALIDATION, "request body must be a single JSON object")
	}
	return body, nil
}

// jsonError explains a decoding failure without echoing internals.
func jsonError(err error) error {
	var (
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return vidivo.Errorf(vidivo.EVALIDATION, "request body is not valid JSON")
	case errors.As(err, &wrongType):
		if wrongType.Field == "" {
			return vidivo.Errorf(vidivo.EVALIDATION, "request body must be a JSON object")
		}
		return vidivo.Invalid(vidivo.FieldError{Field: wrongType.Field, Issue: "must be " + jsonTypeName(wrongType.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return vidivo.Invalid(vidivo.FieldError{Field: field, Issue: "is not a known field"})
	}
	var fe *vidivo.Error
	if errors.As(err, &fe) {
		return fe
	}
	return vidivo.Errorf(vidivo.EVALIDATION, "request body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a JSON value of another type"
}

// optionalBody is a request type whose body may be left out entirely.
type optionalBody interface{ bodyOptional() bool }

// nullable is a JSON field that distinguishes absent, null and a value.
type nullable[T any] struct {
	Set   bool // the field was present
	Null  bool // it was null
	Value T
}

func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}
