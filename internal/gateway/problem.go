package gateway

import (
	"encoding/json"
	"net/http"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/fault"
)

// problem is an RFC 9457 problem detail for failures crmguard answers
// itself, extended with the call's class, remediation and id.
type problem struct {
	Status      int
	Class       fault.Class
	Title       string
	Detail      string
	Remediation string
	CallID      call.ID
	Upstream    string
	Header      http.Header // further response headers
	// Violations lists how a refused request breaks the contract or the
	// normalisation rules.
	Violations []call.Finding
}

// titles are the short, fixed summaries per class (RFC 9457 §3.1.3: the
// title does not change from occurrence to occurrence).
var titles = map[fault.Class]string{
	fault.Network:   "CRM unreachable",
	fault.Timeout:   "CRM did not answer in time",
	fault.Canceled:  "Client closed the request",
	fault.Parameter: "Bad request",
	fault.Unknown:   "CRM call failed",
}

func writeProblem(w http.ResponseWriter, p problem) {
	title := p.Title
	if title == "" {
		title = titles[p.Class]
	}
	if title == "" {
		title = http.StatusText(p.Status)
	}
	body := struct {
		Type        string         `json:"type"`
		Title       string         `json:"title"`
		Status      int            `json:"status"`
		Detail      string         `json:"detail,omitempty"`
		Class       string         `json:"class"`
		Remediation string         `json:"remediation,omitempty"`
		CallID      string         `json:"call_id"`
		Upstream    string         `json:"upstream,omitempty"`
		Violations  []call.Finding `json:"violations,omitempty"`
	}{
		Type:        "urn:crmguard:problem:" + p.Class.String(),
		Title:       title,
		Status:      p.Status,
		Detail:      p.Detail,
		Class:       p.Class.String(),
		Remediation: p.Remediation,
		CallID:      string(p.CallID),
		Upstream:    p.Upstream,
		Violations:  p.Violations,
	}
	h := w.Header()
	for k := range h {
		delete(h, k) // nothing of a half-received upstream answer leaks into ours
	}
	for k, v := range p.Header {
		h[k] = v
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set(HeaderCallID, string(p.CallID))
	h.Set(HeaderClass, p.Class.String())
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(body) // the client may be gone; nothing to do then
}
