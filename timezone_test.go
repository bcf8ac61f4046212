package vidivo_test

import (
	"testing"
	"time"
	_ "time/tzdata" // as the binary does: every zone must load without the machine's files

	"github.com/vidivo/vidivo"
)

// The seed's list of partner time zone names, as partners send them.
var seedZoneNames = []string{
	"American Samoa", "Midway Island", "Hawaii", "Alaska", "Pacific Time (US & Canada)", "Tijuana", "Arizona",
	"Chihuahua", "Mazatlan", "Mountain Time (US & Canada)", "Central America", "Central Time (US & Canada)",
	"Guadalajara", "Mexico City", "Monterrey", "Saskatchewan", "Bogota", "Eastern Time (US & Canada)",
	"Indiana East", "Lima", "Quito", "Atlantic Time (Canada)", "Caracas", "Georgetown", "La Paz", "Santiago",
	"Newfoundland", "Brasilia", "Buenos Aires", "Greenland", "Montevideo", "Mid-Atlantic", "Azores",
	"Cape Verde Is.", "Casablanca", "Dublin", "Edinburgh", "Lisbon", "London", "Monrovia", "UTC", "Amsterdam",
	"Belgrade", "Berlin", "Bern", "Bratislava", "Brussels", "Budapest", "Copenhagen", "Ljubljana", "Madrid",
	"Paris", "Prague", "Rome", "Sarajevo", "Skopje", "Stockholm", "Vienna", "Warsaw", "West Central Africa",
	"Zagreb", "Athens", "Bucharest", "Cairo", "Harare", "Helsinki", "Jerusalem", "Kyiv", "Pretoria", "Riga",
	"Sofia", "Tallinn", "Vilnius", "Baghdad", "Istanbul", "Kuwait", "Minsk", "Moscow", "Nairobi", "Riyadh",
	"St. Petersburg", "Volgograd", "Tehran", "Abu Dhabi", "Baku", "Muscat", "Tbilisi", "Yerevan", "Kabul",
	"Ekaterinburg", "Islamabad", "Karachi", "Tashkent", "Chennai", "Kolkata", "Mumbai", "New Delhi",
	"Sri Jayawardenepura", "Kathmandu", "Almaty", "Astana", "Dhaka", "Urumqi", "Rangoon", "Bangkok", "Hanoi",
	"Jakarta", "Krasnoyarsk", "Novosibirsk", "Beijing", "Chongqing", "Hong Kong", "Irkutsk", "Kuala Lumpur",
	"Perth", "Singapore", "Taipei", "Ulaanbaatar", "Osaka", "Sapporo", "Seoul", "Tokyo", "Yakutsk", "Adelaide",
	"Darwin", "Brisbane", "Canberra", "Guam", "Hobart", "Melbourne", "Port Moresby", "Sydney", "Vladivostok",
	"Magadan", "New Caledonia", "Solomon Is.", "Auckland", "Fiji", "Kamchatka", "Marshall Is.", "Wellington",
	"Chatham Is.", "Nuku\u2019alofa", "Samoa", "Tokelau Is.",
}

func TestRailsZonesLoad(t *testing.T) {
	t.Parallel()
	names := vidivo.RailsZoneNames()
	if len(names) < 150 {
		t.Fatalf("the table has %d Rails names, want all of them (≥ 150)", len(names))
	}
	for _, name := range append(names, seedZoneNames...) {
		zone, ok := vidivo.ZoneFromName(name)
		if !ok {
			t.Errorf("ZoneFromName(%q) is unknown", name)
			continue
		}
		if _, err := time.LoadLocation(zone); err != nil {
			t.Errorf("%q → %q, which does not load: %v", name, zone, err)
		}
	}
}

func TestZoneFromName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"Pacific Time (US & Canada)", "America/Los_Angeles", true},
		{"Eastern Time (US & Canada)", "America/New_York", true},
		{"eastern time  (us & canada)", "America/New_York", true},
		{"Indiana East", "America/Indiana/Indianapolis", true},
		{"Nuku'alofa", "Pacific/Tongatapu", true},
		{"Nuku\u2019alofa", "Pacific/Tongatapu", true},
		{"Kyiv", "Europe/Kyiv", true},
		{"Edinburgh", "Europe/London", true},
		{"UTC", "Etc/UTC", true},
		{"America/Asuncion", "America/Asuncion", true},
		{"Europe/Berlin", "Europe/Berlin", true},
		{"Atlantis", "", false},
		{"", "", false},
		{"Local", "", false},
		{"../etc/passwd", "", false},
		{"Europe/Nowhere", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, ok := vidivo.ZoneFromName(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ZoneFromName(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
