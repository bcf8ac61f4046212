package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
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
	if err := checkBodyText(body); err != nil {
		return nil, err
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

// checkBodyText applies the base text rule (vidivo.CheckText: no NUL or
// other control characters; newlines and tabs allowed, since some fields
// are notes) to every string and key in a decoded JSON body, so nothing a
// database refuses reaches the store, whatever handler decoded it. Fields
// with stricter rules (single lines, lengths) are checked again by their
// input types. Invalid UTF-8 never survives decoding: encoding/json
// replaces it with U+FFFD.
func checkBodyText(body []byte) error {
	// JSON strings hold control characters only as escapes (\u0000, \b),
	// DEL raw, and C1 controls as UTF-8 starting 0xC2: a body without
	// these bytes needs no walk.
	if bytes.IndexByte(body, '\\') < 0 && bytes.IndexByte(body, 0x7f) < 0 && bytes.IndexByte(body, 0xc2) < 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil // the typed decode already accepted it; nothing to walk
	}
	var errs []vidivo.FieldError
	walkText(v, "", &errs)
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b vidivo.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return vidivo.Invalid(errs...)
	}
	return nil
}

var bodyTextRule = vidivo.TextRule{Multiline: true}

func walkText(v any, path string, errs *[]vidivo.FieldError) {
	switch v := v.(type) {
	case string:
		if fe := vidivo.CheckText(fieldName(path), v, bodyTextRule); fe != nil {
			*errs = append(*errs, *fe)
		}
	case []any:
		for i, x := range v {
			walkText(x, path+"["+strconv.Itoa(i)+"]", errs)
		}
	case map[string]any:
		for k, x := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if fe := vidivo.CheckText(fieldName(p), k, bodyTextRule); fe != nil {
				*errs = append(*errs, *fe)
				continue
			}
			walkText(x, p, errs)
		}
	}
}

// fieldName is path fit to be echoed in an error: control characters in a
// key are shown escaped, never raw.
func fieldName(path string) string {
	if path == "" {
		return "body"
	}
	if vidivo.TextIssue(path, vidivo.TextRule{}) != "" {
		return strings.Trim(strconv.QuoteToASCII(path), `"`)
	}
	return path
}

// checkRequestText refuses a request whose path or query holds text no
// stored value can hold (NUL and other control characters, invalid UTF-8),
// or whose path id cannot be an id: such a path names nothing (404), and a
// query parameter is invalid (400 naming it). Handlers check the meaning of
// their parameters after this.
func checkRequestText(r *http.Request) error {
	if vidivo.TextIssue(r.URL.Path, vidivo.TextRule{}) != "" {
		return vidivo.Errorf(vidivo.ENOTFOUND, "not found")
	}
	// Every {id} in a route is a ULID and every {short_code} a base62 code:
	// anything else names nothing, and the store need not be asked.
	if id := r.PathValue("id"); id != "" && !vidivo.IsID(id) {
		return vidivo.Errorf(vidivo.ENOTFOUND, "not found")
	}
	if code := r.PathValue("short_code"); code != "" && !vidivo.IsShortCode(code) {
		return vidivo.Errorf(vidivo.ENOTFOUND, "not found")
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	var errs []vidivo.FieldError
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			if fe := vidivo.CheckText(fieldName(k), v, vidivo.TextRule{}); fe != nil {
				errs = append(errs, *fe)
				break
			}
		}
		if fe := vidivo.CheckText(fieldName(k), k, vidivo.TextRule{}); fe != nil {
			errs = append(errs, *fe)
		}
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b vidivo.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return vidivo.Invalid(errs...)
	}
	return nil
}
