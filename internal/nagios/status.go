package nagios

import (
	"fmt"
	"math"
	"strings"
)

// Status is the result of a check and the plugin's exit code.
type Status int

// The statuses of the guidelines, with their exit codes.
const (
	OK       Status = 0
	Warning  Status = 1
	Critical Status = 2
	Unknown  Status = 3
)

var statusNames = [...]string{OK: "OK", Warning: "WARNING", Critical: "CRITICAL", Unknown: "UNKNOWN"}

// String returns the status as the first line of the output shows it:
// OK, WARNING, CRITICAL or UNKNOWN.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// ParseStatus returns the status named s, in any case.
func ParseStatus(s string) (Status, error) {
	for i, n := range statusNames {
		if strings.EqualFold(s, n) {
			return Status(i), nil
		}
	}
	return Unknown, fmt.Errorf("status %q: want ok, warning, critical or unknown", s)
}

// severity orders the statuses for Worst.
var severity = [...]int{OK: 0, Unknown: 1, Warning: 2, Critical: 3}

// Worst returns the most severe of statuses, OK for none. Critical is
// worse than Warning, which is worse than Unknown, which is worse than OK:
// an item that could not be judged must not hide another's breached
// threshold (the order of Monitoring::Plugin's max_state_alt).
func Worst(statuses ...Status) Status {
	worst := OK
	for _, s := range statuses {
		if s < 0 || int(s) >= len(severity) {
			s = Unknown
		}
		if severity[s] > severity[worst] {
			worst = s
		}
	}
	return worst
}

// Evaluate returns Critical if v alerts in crit, else Warning if it alerts
// in warn, else OK. A nil range never alerts. A NaN value, one that could
// not be measured, is Unknown.
func Evaluate(v float64, warn, crit *Range) Status {
	switch {
	case math.IsNaN(v):
		return Unknown
	case crit != nil && crit.Alert(v):
		return Critical
	case warn != nil && warn.Alert(v):
		return Warning
	}
	return OK
}
