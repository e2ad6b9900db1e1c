package gateway

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/contract"
	"github.com/crmguard/crmguard/internal/fault"
	"github.com/crmguard/crmguard/internal/lifecycle"
	"github.com/crmguard/crmguard/internal/normalize"
	"github.com/crmguard/crmguard/internal/shape"
	"github.com/crmguard/crmguard/internal/upstream"
)

// Guard is what the gateway holds calls to one upstream to before they
// reach the CRM and after they come back. The zero value guards nothing.
type Guard struct {
	// Normalize rewrites values of JSON request bodies; nil for no rules.
	Normalize *normalize.Normalizer
	// Contract is the upstream's API contract; nil for none.
	Contract *contract.Spec
	// Base is the prefix of request paths below the upstream that the
	// contract's paths leave out; requests outside it are not checked.
	Base string
	// Requests says what a request that breaks the contract gets.
	Requests ContractMode
	// Responses turns checking successful responses for drift on.
	Responses bool
	// Versions knows which API versions are deprecated or retired; nil
	// for no policy.
	Versions *lifecycle.Policy
	// EnforceVersions refuses calls on retired versions with 410.
	EnforceVersions bool
	// Learn collects the shape of the upstream's traffic; nil for off.
	Learn *shape.Book
	// MaxBody is the largest request or response body read to normalise,
	// check or learn; larger ones pass unchecked.
	MaxBody int64
	// Now is the clock for version lifecycles; nil means time.Now.
	Now func() time.Time
}

// ContractMode says what a request that breaks the contract gets.
type ContractMode uint8

// The contract modes.
const (
	// ContractOff does not check requests.
	ContractOff ContractMode = iota
	// ContractReport forwards the request and records the violations.
	ContractReport
	// ContractEnforce refuses the request without forwarding it.
	ContractEnforce
)

// checksRequests reports whether requests are checked against a contract.
func (gd *Guard) checksRequests() bool { return gd.Contract != nil && gd.Requests != ContractOff }

// readsRequests reports whether the guard needs request bodies.
func (gd *Guard) readsRequests() bool {
	return gd.Normalize != nil || gd.checksRequests() || gd.Learn != nil
}

// readsResponses reports whether the guard needs response bodies.
func (gd *Guard) readsResponses() bool {
	return (gd.Contract != nil && gd.Responses) || gd.Learn != nil
}

// Response headers of calls on a deprecated or retired API version: the
// Deprecation header of RFC 9745, the Sunset header of RFC 8594, and a
// Warning (RFC 9110 obsoleted it, but clients and proxies still log it,
// and Salesforce itself sends one on legacy versions).
const (
	headerWarning     = "Warning"
	headerDeprecation = "Deprecation"
	headerSunset      = "Sunset"
)

// guardRequest applies the upstream's guard to a request before anything
// is sent: the version policy, normalisation and the contract. It answers
// the client itself and reports true when the request must not go on.
func (g *Gateway) guardRequest(x *exchange, out *http.Request) (answered bool) {
	gd := &x.target.Guard
	if gd.Versions != nil && g.versionRefused(x, gd) {
		return true
	}
	if !gd.readsRequests() {
		return false
	}
	path, inScope := contractPath(x.rest, gd.Base)
	var body []byte
	if x.reqBody != nil {
		b, ok := readBody(x, gd.MaxBody)
		if !ok {
			// Too large to check without holding the whole body in
			// memory: it streams through, and the miss is counted.
			g.metrics.unchecked.WithLabelValues(x.target.Name, "body_too_large").Inc()
			return false
		}
		body = b
		x.guardBody = b
	}
	var findings []call.Finding
	if gd.Normalize != nil && len(body) > 0 && isJSON(x.req.Header.Get("Content-Type")) {
		res, err := gd.Normalize.Apply(body)
		switch {
		case err != nil:
			findings = append(findings, call.Finding{
				Class: fault.DataFormat, In: "body", Rule: "json", Expected: "a JSON document",
				Message: "The body is not valid JSON, so the normalisation rules cannot be applied: " + err.Error() + ".",
			})
		case len(res.Findings) > 0:
			findings = append(findings, res.Findings...)
		case len(res.Changes) > 0:
			x.call.Guard.Changes = res.Changes
			body = res.Body
			x.guardBody = body
			g.metrics.normalized.WithLabelValues(x.target.Name).Add(float64(len(res.Changes)))
		}
	}
	if len(findings) > 0 {
		// A value the rules cannot put right would be refused by the CRM
		// or, worse, stored wrong: it never goes on, whatever the
		// contract mode.
		g.refuse(x, findings)
		return true
	}
	if gd.checksRequests() && inScope {
		findings = gd.Contract.Request(x.req.Method, path, x.req.URL.RawQuery, x.req.Header, body)
		if len(findings) > 0 {
			g.metrics.findings.WithLabelValues(x.target.Name, "request").Add(float64(len(findings)))
			if gd.Requests == ContractEnforce {
				g.refuse(x, findings)
				return true
			}
			x.call.Guard.Findings = findings
		}
	}
	if x.reqBody != nil {
		replaceBody(x, out, body, len(x.call.Guard.Changes) > 0)
	}
	return false
}

// versionRefused marks a call on a deprecated or retired version with
// the lifecycle headers and counts it; it refuses the call, reporting
// true, when the version is retired and the policy enforces.
func (g *Gateway) versionRefused(x *exchange, gd *Guard) bool {
	now := time.Now
	if gd.Now != nil {
		now = gd.Now
	}
	v := gd.Versions.Check(x.call.APIVersion, x.rest, now())
	if v.State == lifecycle.Current {
		return false
	}
	x.call.Guard.VersionState = v.State.String()
	warning := v.Warning(x.call.APIVersion, x.rest)
	h := http.Header{}
	h.Set(headerWarning, `299 crmguard "`+strings.ReplaceAll(headerSafe(warning), `"`, `'`)+`"`)
	if !v.Entry.Deprecated.IsZero() {
		h.Set(headerDeprecation, "@"+strconv.FormatInt(v.Entry.Deprecated.Unix(), 10))
	} else if v.State == lifecycle.Retired || !v.Entry.Retires.IsZero() {
		h.Set(headerDeprecation, "@"+strconv.FormatInt(v.Entry.Retires.Unix(), 10))
	} else {
		// Deprecated on no known day: RFC 9745 wants a date, and "now"
		// says "already deprecated" without inventing one.
		h.Set(headerDeprecation, "@"+strconv.FormatInt(now().Unix(), 10))
	}
	if !v.Entry.Retires.IsZero() {
		h.Set(headerSunset, v.Entry.Retires.UTC().Format(http.TimeFormat))
	}
	x.w.extra = h
	version := x.call.APIVersion
	if v.Entry.Path != "" {
		version = v.Entry.Path
	}
	g.metrics.deprecated.WithLabelValues(x.target.Name, x.call.Client, version, v.State.String()).Inc()
	if v.State != lifecycle.Retired || !gd.EnforceVersions {
		return false
	}
	x.outcome.Verdict.Class = fault.Version
	x.outcome.Verdict.Message = warning
	writeProblem(x.w, problem{
		Status:      http.StatusGone,
		Class:       fault.Version,
		Title:       "API version retired",
		Detail:      warning + ". crmguard refused the call without sending it, since the CRM refuses retired versions.",
		Remediation: "Move the integration to a current API version; the Warning and Sunset headers of calls on deprecated versions say what ends when.",
		CallID:      x.call.ID,
		Upstream:    x.target.Name,
	})
	return true
}

// refuse answers a request that breaks the contract or a normalisation
// rule: 400 when the call itself is wrong (a parameter, the operation, the
// content type), else 422, listing every violation.
func (g *Gateway) refuse(x *exchange, findings []call.Finding) {
	class, status, title := fault.DataFormat, http.StatusUnprocessableEntity, "Request data does not fit the contract"
	for _, f := range findings {
		if f.Class == fault.Parameter {
			class, status, title = fault.Parameter, http.StatusBadRequest, "Request does not fit the contract"
			break
		}
	}
	x.call.Guard.Findings = findings
	x.outcome.Verdict.Class = class
	x.outcome.Verdict.Message = summary(findings)
	g.metrics.findings.WithLabelValues(x.target.Name, "request").Add(float64(len(findings)))
	writeProblem(x.w, problem{
		Status:      status,
		Class:       class,
		Title:       title,
		Detail:      x.outcome.Verdict.Message + " crmguard refused the call without sending it to the CRM.",
		Remediation: "Fix each listed violation in the integration; the contract and the normalisation rules are in crmguard's configuration for upstream " + x.target.Name + ".",
		CallID:      x.call.ID,
		Upstream:    x.target.Name,
		Violations:  findings,
	})
}

// summary says in one sentence how many violations there are and what the
// first one is.
func summary(fs []call.Finding) string {
	s := fs[0].Message
	if len(fs) > 1 {
		s = strconv.Itoa(len(fs)) + " violations; the first: " + s
	}
	return s
}

// replaceBody puts the body the guard read back in front of the outbound
// request, rewritten when changed is set; the tap starts over, so it
// counts and samples what is forwarded.
func replaceBody(x *exchange, out *http.Request, body []byte, changed bool) {
	t := x.reqBody
	t.rc = io.NopCloser(bytes.NewReader(body))
	t.n, t.sample, t.err = 0, t.sample[:0], nil
	if changed {
		out.ContentLength = int64(len(body))
		out.Header = out.Header.Clone()
		out.Header.Set("Content-Length", strconv.Itoa(len(body)))
		out.TransferEncoding = nil
	}
}

// contractPath returns the request path as the contract sees it: the
// escaped path below the upstream, unescaped, without base. inScope is
// false when the path lies outside base.
func contractPath(rest, base string) (path string, inScope bool) {
	if base != "" {
		r, ok := strings.CutPrefix(rest, base)
		if !ok || (r != "" && r[0] != '/') {
			return rest, false
		}
		rest = r
		if rest == "" {
			rest = "/"
		}
	}
	if p, err := url.PathUnescape(rest); err == nil {
		return p, true
	}
	return rest, true
}

// isJSON reports whether a Content-Type names JSON: application/json or
// any application/*+json such as JSON:API's application/vnd.api+json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// responseCapture is how much of a response body the guard keeps to
// check it for drift or learn its shape; 0 when it needs none.
func (gd *Guard) responseCapture(resp *http.Response) int {
	if !gd.readsResponses() || !isJSON(resp.Header.Get("Content-Type")) {
		return 0
	}
	return int(gd.MaxBody)
}

// guardResponse checks a relayed response for drift from the contract
// and feeds the call to the shape book. The body has been written to the
// client by then; only the end of the exchange waits for the check.
func (g *Gateway) guardResponse(x *exchange) {
	gd := &x.target.Guard
	if x.resp == nil || x.respBody == nil || x.respBody.err != nil {
		return
	}
	complete := x.respBody.n == int64(len(x.respBody.sample))
	body := upstream.Decoded(x.resp.Header.Get("Content-Encoding"), x.respBody.sample, gd.MaxBody)
	if body == nil && len(x.respBody.sample) > 0 {
		complete = false // an encoding crmguard cannot read
	}
	x.respSeen = body
	path, inScope := contractPath(x.rest, gd.Base)
	if gd.Contract != nil && gd.Responses && inScope && complete && !x.call.Failed() && x.queued == "" {
		drift := gd.Contract.Response(x.req.Method, path, x.req.URL.RawQuery, x.resp.StatusCode, x.resp.Header, body)
		if len(drift) > 0 {
			x.call.Guard.Findings = append(x.call.Guard.Findings, drift...)
			g.metrics.findings.WithLabelValues(x.target.Name, "response").Add(float64(len(drift)))
		}
	}
	if gd.Learn != nil {
		gd.Learn.Observe(shape.Exchange{
			Method: x.req.Method, Path: x.call.Operation, Query: x.req.URL.Query(),
			RequestType: x.req.Header.Get("Content-Type"), RequestBody: x.guardBody,
			Status: x.resp.StatusCode, ResponseType: x.resp.Header.Get("Content-Type"),
			ResponseBody: body, ResponseTruncated: !complete,
		})
	}
}
