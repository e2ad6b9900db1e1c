package retry

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxWait caps the waits Wait returns: a CRM asking for more than a day is
// answered by queueing or failing the call, not by waiting that long.
const MaxWait = 24 * time.Hour

// epochThreshold separates the two readings of a reset header: values at or
// above it (2001-09-09 as Unix seconds) are taken as a point in time, values
// below as seconds from now.
const epochThreshold = 1_000_000_000

// Wait returns how long the CRM asked the client to wait before sending a
// request again, read from the response headers h at time now, and whether
// any header asked. Of several valid waits it returns the longest, capped at
// MaxWait. Invalid values are ignored. The headers read:
//
//   - Retry-After (RFC 9110 §10.2.3), as delta-seconds or an HTTP-date;
//     a date in the past means no wait (0, true). Dataverse sends it on 429.
//   - X-RateLimit-Reset (Pipedrive): the seconds until the rate-limit
//     window resets, fractions allowed. A value of 10⁹ or more cannot be a
//     delay and is read as the Unix time of the reset, as other APIs send
//     it. It is ignored when X-RateLimit-Remaining says requests remain,
//     since then this window is not the limit that was hit.
//   - X-HubSpot-RateLimit-Interval-Milliseconds, when
//     X-HubSpot-RateLimit-Remaining is 0: the whole interval, since HubSpot
//     does not say when the current one started.
//
// Usage and budget headers (Sforce-Limit-Info, X-HubSpot-RateLimit-Daily-*,
// x-ms-ratelimit-*-remaining-xrm-requests) say how much is left, not how
// long to wait, and are not read. Callers still bound the wait by the call's
// deadline.
func Wait(h http.Header, now time.Time) (time.Duration, bool) {
	var (
		longest time.Duration
		found   bool
	)
	take := func(d time.Duration) {
		d = min(max(d, 0), MaxWait)
		if !found || d > longest {
			longest = d
		}
		found = true
	}
	for _, v := range h.Values("Retry-After") {
		if d, ok := retryAfter(v, now); ok {
			take(d)
		}
	}
	if n, ok := count(h.Get("X-RateLimit-Remaining")); !ok || n == 0 {
		for _, v := range h.Values("X-RateLimit-Reset") {
			if d, ok := reset(v, now); ok {
				take(d)
			}
		}
	}
	if n, ok := count(h.Get("X-HubSpot-RateLimit-Remaining")); ok && n == 0 {
		if ms, ok := count(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); ok && ms > 0 {
			take(time.Duration(min(ms, uint64(MaxWait/time.Millisecond))) * time.Millisecond)
		}
	}
	return longest, found
}

// retryAfter parses one Retry-After value: delta-seconds (1*DIGIT) or an
// HTTP-date in any of the three formats RFC 9110 §5.6.7 lets a recipient
// accept.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if digits(v) {
		return seconds(v), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return t.Sub(now), true
}

// reset parses one X-RateLimit-Reset value: seconds until the reset, or
// the reset's Unix time (see Wait).
func reset(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	whole, frac, _ := strings.Cut(v, ".")
	if !digits(whole) || (frac != "" && !digits(frac)) {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	if f >= epochThreshold {
		if f >= float64(math.MaxInt64/int64(time.Second)) {
			return MaxWait, true
		}
		return time.Unix(0, int64(f*float64(time.Second))).Sub(now), true
	}
	return time.Duration(f * float64(time.Second)), true
}

// seconds converts a string of digits to a duration, saturating at MaxWait.
func seconds(v string) time.Duration {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > uint64(MaxWait/time.Second) {
		return MaxWait // only a range error is possible here
	}
	return time.Duration(n) * time.Second
}

// count parses a non-negative integer header value.
func count(v string) (uint64, bool) {
	v = strings.TrimSpace(v)
	if !digits(v) {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return math.MaxUint64, true // more digits than fit: a large count
	}
	return n, true
}

// digits reports whether s is one or more ASCII digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
