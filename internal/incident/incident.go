// Package incident groups failed calls that share a cause into incidents: it
// defines the fingerprint that decides what "the same failure" means, and
// the Incident an operator works with.
package incident

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/fault"
)

// ErrNotFound is returned when no incident has the requested fingerprint.
var ErrNotFound = errors.New("incident not found")

// State is where an incident stands.
type State string

// The incident states. An incident is open while its failure recurs; it is
// resolved by an operator or once it has been quiet for the configured time,
// and reopens when the same failure happens again.
const (
	Open     State = "open"
	Resolved State = "resolved"
)

// Incident is a group of failed calls with one fingerprint.
type Incident struct {
	Fingerprint string
	Upstream    string
	Operation   string
	Class       fault.Class
	VendorCode  string
	Message     string // the normalised message the fingerprint was made from
	FirstSeen   time.Time
	LastSeen    time.Time
	Count       int64
	SampleCalls []string // ids of recent calls in this incident, newest last
	Remediation string
	State       State
	Reopened    int // how often it reopened after being resolved
	ResolvedAt  time.Time
}

// Occurrence is what one batch of recorded calls adds to an incident: the
// store creates the incident or adds the occurrence to it, reopening it if it
// was resolved.
type Occurrence struct {
	Fingerprint string
	Upstream    string
	Operation   string
	Class       fault.Class
	VendorCode  string
	Message     string
	Remediation string
	FirstSeen   time.Time
	LastSeen    time.Time
	Count       int64
	SampleCalls []string
}

// Query selects incidents, most recently seen first.
type Query struct {
	State    State  // empty for any state
	Upstream string // empty for any upstream
	Limit    int    // at most this many; 0 for the store's default
}

var (
	quoted  = regexp.MustCompile(`"[^"]*"|'[^']*'|‘[^’]*’|“[^”]*”`)
	email   = regexp.MustCompile(`[\w.+-]+@[\w-]+(\.[\w-]+)+`)
	hexish  = regexp.MustCompile(`\b(0x)?[0-9a-fA-F]{8,}(-[0-9a-fA-F]{4,})*\b`)
	idish   = regexp.MustCompile(`\b[A-Za-z0-9]*[0-9][A-Za-z0-9]*\b`)
	space   = regexp.MustCompile(`\s+`)
	maxNorm = 300
)

// Normalize reduces an error message to its shape so that failures that
// differ only in ids, numbers or quoted values share a fingerprint: quoted
// values become "…", e-mail addresses <email>, and every word with a digit
// in it <n>.
func Normalize(msg string) string {
	s := quoted.ReplaceAllString(msg, `"…"`)
	s = email.ReplaceAllString(s, "<email>")
	s = hexish.ReplaceAllString(s, "<n>")
	s = idish.ReplaceAllString(s, "<n>")
	s = strings.TrimSpace(space.ReplaceAllString(s, " "))
	if len(s) > maxNorm {
		s = s[:maxNorm]
	}
	return s
}

// Fingerprint identifies a failure: the same upstream, operation, class,
// vendor code and normalised message give the same fingerprint. msg must
// already be normalised.
func Fingerprint(upstream, operation string, class fault.Class, vendorCode, msg string) string {
	h := sha256.New()
	for _, part := range []string{upstream, operation, class.String(), vendorCode, msg} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
