package vidivo

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes users see. Each maps to one HTTP status (HTTPStatus) and
// to one WebSocket close code in the signaling package; nothing else leaks.
const (
	EVALIDATION         = "validation_error"
	EUNAUTHORIZED       = "unauthorized"
	ESTRIPE             = "stripe_error"
	EPAYMENTFAILED      = "payment_failed"
	ESTRIPENOTCONNECTED = "stripe_not_connected"
	EFORBIDDEN          = "forbidden"
	ENOTFOUND           = "not_found"
	EMETHODNOTALLOWED   = "method_not_allowed"
	ECONFLICT           = "conflict"
	ELINKEXPIRED        = "link_expired"
	ELINKEXHAUSTED      = "link_exhausted"
	EPAYLOADTOOLARGE    = "payload_too_large"
	EUNSUPPORTEDMEDIA   = "unsupported_media_type"
	ERATELIMITED        = "rate_limited"
	EINSUFFICIENTSCOPE  = "insufficient_scope"
	EINTERNAL           = "internal"
)

// FieldError names one invalid input field and what is wrong with it.
type FieldError struct {
	Field string `json:"field"`
	Issue string `json:"issue"`
}

// Error is an error a user may see: a code from the set above, a message
// written for people, and for validation errors the fields at fault.
type Error struct {
	Code    string
	Message string
	Details []FieldError
}

func (e *Error) Error() string {
	return fmt.Sprintf("vidivo error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation_error naming the fields at fault.
func Invalid(details ...FieldError) *Error {
	msg := "request is invalid"
	if len(details) == 1 {
		msg = details[0].Field + ": " + details[0].Issue
	}
	return &Error{Code: EVALIDATION, Message: msg, Details: details}
}

// ErrorCode returns the code of err if it is or wraps an *Error, and
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// an *Error get a generic message so internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorDetails returns the field errors of a validation error, if any.
func ErrorDetails(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}

// httpStatus maps each error code to its HTTP status: the API and the
// pages answer alike. It is the only place this mapping lives.
var httpStatus = map[string]int{
	EVALIDATION:         http.StatusBadRequest,
	EUNAUTHORIZED:       http.StatusUnauthorized,
	ESTRIPE:             http.StatusPaymentRequired,
	EPAYMENTFAILED:      http.StatusPaymentRequired,
	ESTRIPENOTCONNECTED: http.StatusPaymentRequired,
	EFORBIDDEN:          http.StatusForbidden,
	EINSUFFICIENTSCOPE:  http.StatusForbidden,
	ENOTFOUND:           http.StatusNotFound,
	EMETHODNOTALLOWED:   http.StatusMethodNotAllowed,
	ECONFLICT:           http.StatusConflict,
	ELINKEXPIRED:        http.StatusGone,
	ELINKEXHAUSTED:      http.StatusGone,
	EPAYLOADTOOLARGE:    http.StatusRequestEntityTooLarge,
	EUNSUPPORTEDMEDIA:   http.StatusUnsupportedMediaType,
	ERATELIMITED:        http.StatusTooManyRequests,
	EINTERNAL:           http.StatusInternalServerError,
}

// HTTPStatus is the HTTP status of an error code; anything unknown is 500.
func HTTPStatus(code string) int {
	if status, ok := httpStatus[code]; ok {
		return status
	}
	return http.StatusInternalServerError
}
