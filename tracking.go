package vidivo

// MaxTrackingLen is the most characters a UTM parameter may hold.
const MaxTrackingLen = 255

// Tracking are the UTM parameters of the page a booking was made from
// (utm_source, utm_medium, utm_campaign, utm_content, utm_term), kept with
// the booking so a host can tell which campaign or site brought it. An
// empty string is a parameter that was not given.
type Tracking struct {
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMContent  string
	UTMTerm     string
}

// Fields returns the parameters by their URL names, in a fixed order.
func (t Tracking) Fields() [5]TrackingField {
	return [5]TrackingField{
		{"utm_source", t.UTMSource}, {"utm_medium", t.UTMMedium}, {"utm_campaign", t.UTMCampaign},
		{"utm_content", t.UTMContent}, {"utm_term", t.UTMTerm},
	}
}

// TrackingField is one UTM parameter: its URL name and value.
type TrackingField struct {
	Name, Value string
}

// Validate checks every parameter with the one text rule: a single line of
// at most MaxTrackingLen characters. Issues name the field as
// prefix.utm_source and so on (prefix "tracking" in the API). Returns nil
// when all are acceptable.
func (t Tracking) Validate(prefix string) []FieldError {
	var errs []FieldError
	for _, f := range t.Fields() {
		if fe := CheckText(prefix+"."+f.Name, f.Value, TextRule{Max: MaxTrackingLen}); fe != nil {
			errs = append(errs, *fe)
		}
	}
	return errs
}
