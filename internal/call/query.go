package call

import (
	"errors"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

// ErrNotFound is returned when no call has the requested ID.
var ErrNotFound = errors.New("call not found")

// Query selects stored calls, newest first. Zero fields do not filter.
type Query struct {
	Upstream  string
	Class     *fault.Class
	Operation string
	Since     time.Time // calls that started at or after Since
	Until     time.Time // calls that started before Until
	Before    ID        // cursor: calls with an ID below Before
	Limit     int       // at most this many; 0 for the store's default
}
