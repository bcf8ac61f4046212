package vidivo

import "strconv"

// Page-style pagination (call history, a user's bookings): page from 1,
// per_page from 1 to MaxPerPage. Pages are bounded so the row offset,
// (page-1)·per_page, always fits every database's OFFSET: a page past the
// last one is empty, one past MaxPage is refused.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	MaxPage        = 10000
)

// ParsePage reads the page and per_page query parameters (empty means the
// default) and returns them, or what is wrong with each as FieldErrors
// naming "page" and "per_page".
func ParsePage(pageParam, perPageParam string) (page, perPage int, errs []FieldError) {
	page, perPage = 1, DefaultPerPage
	if pageParam != "" {
		n, err := strconv.Atoi(pageParam)
		if err != nil || n < 1 || n > MaxPage {
			errs = append(errs, FieldError{"page", "must be a whole number from 1 to " + strconv.Itoa(MaxPage)})
		}
		page = n
	}
	if perPageParam != "" {
		n, err := strconv.Atoi(perPageParam)
		if err != nil || n < 1 || n > MaxPerPage {
			errs = append(errs, FieldError{"per_page", "must be a whole number from 1 to " + strconv.Itoa(MaxPerPage)})
		}
		perPage = n
	}
	return page, perPage, errs
}
