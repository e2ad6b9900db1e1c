package acceptance

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmguard/crmguard/internal/democrm"
	"github.com/crmguard/crmguard/internal/report"
)

// TestReport_MatchesStatsAndRendersInChromium sends traffic with injected
// auth failures through crmguard, builds the report of the period from
// crmguard's store and checks that its figures are the admin API's stats
// for the same since and until; then it renders the HTML report in
// headless Chromium and checks that the page draws and shows the failures.
func TestReport_MatchesStatsAndRendersInChromium(t *testing.T) {
	crm := democrm.New(democrm.Options{})
	crmSrv := httptest.NewServer(crm)
	t.Cleanup(crmSrv.Close)
	in := start(t, `
listen: 127.0.0.1:0
admin: {listen: 127.0.0.1:0}
store: sqlite://${DIR}/crmguard.db
recording: {flush_interval: 50ms, rollup_interval: 100ms}
upstreams:
  - {name: sf, url: "`+crmSrv.URL+`/salesforce", dialect: salesforce, retry: {attempts: 1}, breaker: {min_calls: 100000}}
`)
	from := time.Now().UTC().Truncate(time.Second)

	const good, auth = 30, 7
	in.queryContacts(t, good)
	in.authFailures(t, crm, auth)
	in.sync(t)
	to := time.Now().UTC().Add(time.Minute)

	r, err := report.Build(t.Context(), in.app.Store, from, to)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	var stats struct {
		Upstreams []struct {
			Upstream string           `json:"upstream"`
			Calls    int64            `json:"calls"`
			Failed   int64            `json:"failed"`
			Classes  map[string]int64 `json:"classes"`
		} `json:"upstreams"`
	}
	q := url.Values{"since": {from.Format(time.RFC3339Nano)}, "until": {to.Format(time.RFC3339Nano)}}
	if code := in.api(t, "GET", "/api/v1/stats?"+q.Encode(), &stats); code != http.StatusOK {
		t.Fatalf("GET /api/v1/stats: %d", code)
	}
	if len(stats.Upstreams) != 1 || len(r.Upstreams) != 1 {
		t.Fatalf("stats upstreams %+v, report upstreams %d; want sf alone in both", stats.Upstreams, len(r.Upstreams))
	}
	api, sf := stats.Upstreams[0], r.Upstreams[0]
	if sf.Upstream != api.Upstream || sf.Calls != api.Calls || sf.Failed != api.Failed || sf.Calls != good+auth {
		t.Errorf("report sf: %d calls, %d failed; stats %s: %d calls, %d failed; want %d and %d in both",
			sf.Calls, sf.Failed, api.Upstream, api.Calls, api.Failed, good+auth, auth)
	}
	classes := map[string]int64{"ok": sf.OK}
	for _, c := range sf.Classes {
		if c.Calls != 0 {
			classes[c.Class] = c.Calls
		}
	}
	if fmt.Sprint(classes) != fmt.Sprint(api.Classes) || classes["auth"] != auth {
		t.Errorf("report classes %v; stats classes %v; want the same, with auth %d", classes, api.Classes, auth)
	}
	if len(r.Incidents) == 0 || r.Incidents[0].Class != "auth" || r.Incidents[0].Count != auth {
		t.Errorf("incidents = %+v; want the auth incident of %d calls first", r.Incidents, auth)
	}

	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	renderInChromium(t, page, dir, []string{"auth " + strconv.Itoa(auth), `id="total-calls">` + strconv.Itoa(good+auth) + "<"})
}

// renderInChromium screenshots page in headless Chromium and checks the
// picture is the right size and not blank, and that the DOM Chromium built
// holds each of want.
func renderInChromium(t *testing.T, page, dir string, want []string) {
	t.Helper()
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if mustRun() {
			t.Fatalf("%s is needed (Debian package chromium): %v", chromium, err)
		}
		t.Skipf("%s not installed (Debian package chromium); skipping the rendering check", chromium)
	}
	shot := filepath.Join(dir, "report.png")
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + filepath.Join(dir, "profile")}
	chrome := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, chromium, append(append([]string{}, base...), args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.Bytes()
	}
	chrome("--screenshot="+shot, "--window-size=1280,2000", "file://"+page)
	t.Logf("screenshot of the report: %s", shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %dx%d; want 1280x2000", b.Dx(), b.Dy())
	}
	colors := map[[4]uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			r, g, b, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colors) < 16 {
		t.Errorf("screenshot has %d distinct colours; want a drawn page, not a blank one", len(colors))
	}
	dom := string(chrome("--dump-dom", "file://"+page))
	for _, w := range want {
		if !strings.Contains(dom, w) {
			t.Errorf("rendered DOM lacks %q", w)
		}
	}
	if !strings.Contains(dom, `<svg id="calls-chart"`) {
		t.Errorf("rendered DOM lacks the calls chart")
	}
}
