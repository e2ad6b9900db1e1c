package acceptance

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/democrm"
)

// TestServe_ConfigShape runs crmguard from the configuration shape the
// README documents, in front of the sample CRM, and checks the answer
// headers, the admin API with and without its token, and the metrics.
func TestServe_ConfigShape(t *testing.T) {
	crm := democrm.New(democrm.Options{})
	crmSrv := httptest.NewServer(crm)
	defer crmSrv.Close()
	in := start(t, `
listen: 127.0.0.1:0                  # the gateway
admin:
  listen: 127.0.0.1:0                # JSON API, /metrics, /healthz, /readyz
  token_env: CRMGUARD_ADMIN_TOKEN    # bearer token for the admin API is read from this variable
store: sqlite://${DIR}/crmguard.db
upstreams:
  - name: sf                         # requests to /sf/... go to this upstream, /sf stripped
    url: `+crmSrv.URL+`/salesforce      # may carry a base path, which is kept
    dialect: salesforce
    timeout: 30s                     # deadline for the whole call
`)
	if err := crm.Inject(democrm.FaultSpec{Kind: democrm.Permission, Dialect: democrm.Salesforce}, 1); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(in.gateway + "/sf/services/data/v59.0/sobjects/Contact")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("Crmguard-Class") != "permission" ||
		resp.Header.Get("Crmguard-Vendor-Code") != "INSUFFICIENT_ACCESS_OR_READONLY" {
		t.Errorf("permission answer: %d %q %q; want 403 permission INSUFFICIENT_ACCESS_OR_READONLY",
			resp.StatusCode, resp.Header.Get("Crmguard-Class"), resp.Header.Get("Crmguard-Vendor-Code"))
	}
	failedID := resp.Header.Get("Crmguard-Call-Id")
	resp, err = http.Get(in.gateway + "/sf/services/data/v59.0/sobjects/Contact")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Crmguard-Class") != "ok" {
		t.Errorf("plain read: %d %q; want 200 ok", resp.StatusCode, resp.Header.Get("Crmguard-Class"))
	}
	in.sync(t)

	// Without the token: 401.
	noAuth, err := http.Get(in.admin + "/api/v1/calls")
	if err != nil {
		t.Fatal(err)
	}
	noAuth.Body.Close()
	if noAuth.StatusCode != 401 {
		t.Errorf("calls without token: %d; want 401", noAuth.StatusCode)
	}

	var calls struct {
		Calls []struct{ ID, Class, Upstream, Operation, VendorCode string } `json:"calls"`
	}
	if code := in.api(t, "GET", "/api/v1/calls?upstream=sf", &calls); code != 200 || len(calls.Calls) != 2 {
		t.Fatalf("calls: %d, %d calls; want 200 with 2", code, len(calls.Calls))
	}
	if calls.Calls[1].ID != failedID || calls.Calls[1].Class != "permission" || calls.Calls[0].Class != "ok" {
		t.Errorf("calls newest first: %+v", calls.Calls)
	}
	var one struct {
		Class          string `json:"class"`
		ResponseSample string `json:"response_sample"`
		Remediation    string `json:"remediation"`
	}
	if code := in.api(t, "GET", "/api/v1/calls/"+failedID, &one); code != 200 ||
		!strings.Contains(one.ResponseSample, "INSUFFICIENT_ACCESS_OR_READONLY") || one.Remediation == "" {
		t.Errorf("call detail: %d %+v", code, one)
	}
	var incidents struct {
		Incidents []struct {
			Class, State string
			Count        int
		} `json:"incidents"`
	}
	if code := in.api(t, "GET", "/api/v1/incidents", &incidents); code != 200 || len(incidents.Incidents) != 1 ||
		incidents.Incidents[0].Class != "permission" || incidents.Incidents[0].State != "open" {
		t.Errorf("incidents: %d %+v", code, incidents)
	}
	var stats struct {
		Upstreams []struct {
			Upstream string
			Calls    int
			Classes  map[string]int
		} `json:"upstreams"`
	}
	if code := in.api(t, "GET", "/api/v1/stats?since=5m", &stats); code != 200 || len(stats.Upstreams) != 1 ||
		stats.Upstreams[0].Calls != 2 || stats.Upstreams[0].Classes["permission"] != 1 {
		t.Errorf("stats: %d %+v", code, stats)
	}

	metrics := get(t, in.admin+"/metrics")
	for _, want := range []string{
		`crmguard_calls_total{class="permission",upstream="sf"} 1`,
		`crmguard_calls_total{class="ok",upstream="sf"} 1`,
		`crmguard_call_duration_seconds_bucket{upstream="sf"`,
		`crmguard_recorder_dropped_total{reason="buffer_full"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if mustRun() {
			t.Fatal("promtool not found; install Debian's prometheus package")
		}
		t.Skip("promtool not found (Debian package prometheus); skipping the metrics lint")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(metrics)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if r, err := http.Get(in.admin + p); err != nil || r.StatusCode != 200 {
			t.Errorf("%s: %v %v", p, r, err)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
