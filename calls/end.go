package calls

import "github.com/vidivo/vidivo"

// checkClientEndReason refuses an end reason a participant may not give.
// timeout and billing_error (a failed call) are the system's verdicts,
// never a client's; a guest ends a call as user_ended, a host (or an
// admin) as user_ended or host_ended.
func checkClientEndReason(c *vidivo.Call, caller vidivo.Caller, reason string) error {
	switch {
	case reason == vidivo.EndUserEnded:
		return nil
	case reason == vidivo.EndHostEnded && !c.IsGuest(caller):
		return nil
	case reason == vidivo.EndHostEnded:
		return vidivo.Invalid(vidivo.FieldError{Field: "reason", Issue: "a guest ends a call as user_ended"})
	}
	return vidivo.Invalid(vidivo.FieldError{Field: "reason",
		Issue: reason + " is set by the system; a participant ends a call as user_ended or host_ended"})
}
