package alertmanager

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
)

// postableAlert is one element of the body of POST /api/v2/alerts
// (Alertmanager's openapi.yaml, postableAlert).
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// postable converts alerts for Alertmanager at time now. A firing alert
// ends at now + 4 × resend, so that it stays active while the engine
// re-sends it and resolves by itself if crmguard stops; a resolved alert
// ends when it resolved (now if that is unknown). Labels get alertname
// and severity from the alert's rule and severity when they lack them.
// The alert's value goes in a "value" annotation, unless one is set:
// Alertmanager has no field for it.
func postable(alerts []notify.Alert, now time.Time, resend time.Duration) []postableAlert {
	out := make([]postableAlert, 0, len(alerts))
	for _, a := range alerts {
		labels := make(map[string]string, len(a.Labels)+2)
		maps.Copy(labels, a.Labels)
		if labels["alertname"] == "" {
			labels["alertname"] = a.Rule
		}
		if labels["severity"] == "" {
			labels["severity"] = a.Severity
		}
		annotations := make(map[string]string, len(a.Annotations)+1)
		maps.Copy(annotations, a.Annotations)
		if annotations["value"] == "" {
			annotations["value"] = strconv.FormatFloat(a.Value, 'g', -1, 64)
		}
		p := postableAlert{
			Labels:       sanitize(labels),
			Annotations:  sanitize(annotations),
			StartsAt:     a.StartsAt.UTC(),
			GeneratorURL: a.URL,
		}
		if a.Status == notify.Resolved {
			p.EndsAt = orTime(a.EndsAt, now)
			// Alertmanager refuses an alert that ends before it starts.
			if !a.StartsAt.IsZero() && p.EndsAt.Before(a.StartsAt) {
				p.EndsAt = a.StartsAt
			}
		} else {
			p.EndsAt = now.Add(endsAfter * resend)
		}
		p.EndsAt = p.EndsAt.UTC()
		out = append(out, p)
	}
	return out
}

// orTime returns t, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// sanitize returns m with the names Alertmanager accepts: it keeps only
// names matching [a-zA-Z_][a-zA-Z0-9_]* (model.LabelName.IsValid) and
// rejects the whole push otherwise. Other characters become "_", a name
// starting with a digit gets a "_" in front, and an empty value drops its
// name (Prometheus treats an empty label as absent). When two names end
// up the same, the one that was valid as given wins, then the first by
// name. Values are made valid UTF-8, which Alertmanager also requires.
func sanitize(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	names := slices.Sorted(maps.Keys(m))
	// Valid names first, so a sanitized name never replaces one given.
	slices.SortStableFunc(names, func(a, b string) int {
		va, vb := validName(a), validName(b)
		switch {
		case va && !vb:
			return -1
		case !va && vb:
			return 1
		}
		return 0
	})
	for _, name := range names {
		v := m[name]
		if v == "" {
			continue
		}
		s := sanitizeName(name)
		if s == "" {
			continue
		}
		if _, taken := out[s]; taken {
			continue
		}
		out[s] = strings.ToValidUTF8(v, "\uFFFD")
	}
	return out
}

func validName(s string) bool {
	return s != "" && sanitizeName(s) == s
}

func sanitizeName(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
