// Package apitest holds helpers for testing the HTTP API, chief among them
// Contract, which checks that every response a test sees is one the OpenAPI
// document promises.
package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Contract validates HTTP exchanges against an OpenAPI document. Build it
// once with NewContract; Check is safe for concurrent use.
type Contract struct {
	doc     *openapi3.T
	router  routers.Router
	options *openapi3filter.Options
}

// NewContract parses spec, validates it (doc.Validate) and builds a router
// over its operations. It fails if the document is invalid or describes a
// response body of a media type Check cannot decode.
func NewContract(spec []byte) (*Contract, error) {
	registerDecoders()

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("apitest: load OpenAPI document: %w", err)
	}
	ctx := context.Background()
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("apitest: invalid OpenAPI document: %w", err)
	}
	if err := checkDecoders(doc); err != nil {
		return nil, err
	}
	// The legacy router needs no dependency beyond kin-openapi, handles
	// OpenAPI 3.1 documents and {param} path segments, and tells "no such
	// path" apart from "method not allowed".
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("apitest: build router: %w", err)
	}
	options := &openapi3filter.Options{
		// Requests are not validated: tests send bad ones on purpose, and
		// authentication is tested elsewhere. The no-op function keeps any
		// security check from failing an exchange.
		ExcludeRequestBody:    true,
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	options.WithCustomSchemaErrorFunc(schemaErrorMessage)
	return &Contract{doc: doc, router: router, options: options}, nil
}

// schemaErrorMessage shortens kin-openapi's schema errors, which print the
// whole schema that failed, to where, why and the offending value.
func schemaErrorMessage(err *openapi3.SchemaError) string {
	if err.Origin != nil {
		return "" // the default message is the origin's
	}
	msg := err.Reason
	if msg == "" {
		msg = fmt.Sprintf("doesn't match schema %q", err.SchemaField)
	}
	// Errors of the JSON Schema 2020-12 validator name the path already.
	if ptr := err.JSONPointer(); len(ptr) > 0 && !strings.Contains(msg, "at '") {
		msg = fmt.Sprintf("at %q: %s", "/"+strings.Join(ptr, "/"), msg)
	}
	if v, jerr := json.Marshal(err.Value); jerr == nil {
		msg += "; value: " + abbreviate(v)
	}
	return msg
}

// Check validates one exchange. The request is matched to an operation of
// the document by path and method, whatever its host: a request that
// matches none is an error naming it, which is how a route missing from
// the document fails the tests. Then the response status, headers and body
// are validated against that operation's responses; a status the operation
// does not document, and that no "default" response covers, is an error.
// A response documented without content must have an empty body. The
// request body is not validated; reqBody is accepted so callers can pass
// whole exchanges and is used only in error messages.
func (c *Contract) Check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	if req == nil || req.URL == nil {
		return errors.New("apitest: Check: request has no URL")
	}
	name := req.Method + " " + req.URL.RequestURI()
	fail := func(err error) error {
		if len(reqBody) > 0 {
			return fmt.Errorf("apitest: %s (request body %s) → %d: %w", name, abbreviate(reqBody), status, err)
		}
		return fmt.Errorf("apitest: %s → %d: %w", name, status, err)
	}

	// The document's server is "/", which the router matches only against
	// a URL without scheme and host; tests send to httptest servers.
	local := req.Clone(req.Context())
	local.URL = &url.URL{Path: req.URL.Path, RawPath: req.URL.RawPath, RawQuery: req.URL.RawQuery}
	local.Host = ""
	local.Body = http.NoBody

	route, pathParams, err := c.router.FindRoute(local)
	if err != nil {
		var rerr *routers.RouteError
		if errors.As(err, &rerr) {
			return fail(fmt.Errorf("no operation in the OpenAPI document for %s %s: %w", req.Method, req.URL.Path, err))
		}
		return fail(fmt.Errorf("find route: %w", err))
	}

	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    local,
			PathParams: pathParams,
			Route:      route,
			Options:    c.options,
		},
		Status:  status,
		Header:  header,
		Options: c.options,
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), input); err != nil {
		return fail(fmt.Errorf("response does not match %s: %w", operationName(route), err))
	}
	if err := checkEmptyBody(route, status, body); err != nil {
		return fail(err)
	}
	return nil
}

// checkEmptyBody reports a body on a response the document declares
// without content, such as a 204, which ValidateResponse lets through.
func checkEmptyBody(route *routers.Route, status int, body []byte) error {
	if len(body) == 0 {
		return nil
	}
	responses := route.Operation.Responses
	ref := responses.Status(status)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil || ref.Value == nil || len(ref.Value.Content) > 0 {
		return nil
	}
	return fmt.Errorf("response %d of %s is documented without a body but has %d bytes: %s",
		status, operationName(route), len(body), abbreviate(body))
}

// operationName names a route for error messages.
func operationName(route *routers.Route) string {
	if id := route.Operation.OperationID; id != "" {
		return fmt.Sprintf("operation %s (%s %s)", id, route.Method, route.Path)
	}
	return fmt.Sprintf("operation %s %s", route.Method, route.Path)
}

// abbreviate shortens a body for an error message.
func abbreviate(b []byte) string {
	const max = 200
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "…"
}

// rawTextTypes are media types with no built-in decoder whose bodies Check
// reads as one string, for operations that serve documents (iCalendar
// files) or streams (server-sent events) rather than JSON.
var rawTextTypes = []string{"text/calendar", "text/event-stream"}

var registerOnce sync.Once

// registerDecoders registers the body decoders Check needs. kin-openapi
// keeps decoders in a process-wide table, so this runs once per process.
func registerDecoders() {
	registerOnce.Do(func() {
		for _, t := range rawTextTypes {
			if openapi3filter.RegisteredBodyDecoder(t) == nil {
				openapi3filter.RegisterBodyDecoder(t, openapi3filter.PlainBodyDecoder)
			}
		}
		// The built-in YAML decoder parses the document into a map, but the
		// spec describes GET /v1/openapi.yaml as one string. Keep parsing
		// for schemas that describe structure.
		for _, t := range []string{"application/yaml", "application/x-yaml"} {
			parse := openapi3filter.RegisteredBodyDecoder(t)
			if parse == nil {
				parse = openapi3filter.YamlBodyDecoder
			}
			openapi3filter.RegisterBodyDecoder(t, stringOr(parse))
		}
	})
}

// stringOr returns a decoder that reads the body as a string when the
// schema is exactly a string, and otherwise uses parse.
func stringOr(parse openapi3filter.BodyDecoder) openapi3filter.BodyDecoder {
	return func(r io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
		if schema != nil && schema.Value != nil && schema.Value.Type.Is(openapi3.TypeString) {
			return openapi3filter.PlainBodyDecoder(r, h, schema, enc)
		}
		return parse(r, h, schema, enc)
	}
}

// checkDecoders fails if a response in doc has a body of a media type
// with no registered decoder, so a new content type fails at NewContract
// with a clear message rather than on every Check.
func checkDecoders(doc *openapi3.T) error {
	missing := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.Responses == nil {
				continue
			}
			for _, resp := range op.Responses.Map() {
				if resp == nil || resp.Value == nil {
					continue
				}
				for mt, media := range resp.Value.Content {
					if !decodable(mt, media) {
						missing[mt] = true
					}
				}
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	types := make([]string, 0, len(missing))
	for mt := range missing {
		types = append(types, mt)
	}
	sort.Strings(types)
	return fmt.Errorf("apitest: no body decoder for response media types %s; add them to rawTextTypes or register a decoder",
		strings.Join(types, ", "))
}

// decodable reports whether ValidateResponse can decode a body of media
// type mt described by media.
func decodable(mt string, media *openapi3.MediaType) bool {
	base, _, err := mime.ParseMediaType(mt)
	if err != nil {
		base = strings.ToLower(strings.TrimSpace(mt))
	}
	if media == nil || media.Schema == nil || strings.Contains(base, "*") {
		// Without a schema the body is not decoded at all.
		return true
	}
	if s := media.Schema.Value; s != nil && (s.ContentMediaType != "" || (s.Type.Is(openapi3.TypeString) && s.Format == "binary")) {
		return true
	}
	if strings.HasSuffix(base, "+json") {
		return true
	}
	return openapi3filter.RegisteredBodyDecoder(base) != nil ||
		openapi3filter.RegisteredBodyDecoder("*/*") != nil
}
