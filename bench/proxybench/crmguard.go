package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tokenEnv is the environment variable the crmguard configuration names
// for its admin token.
const tokenEnv = "CRMGUARD_ADMIN_TOKEN"

// crmguard is the gateway under test, with what the harness needs to read
// its admin API.
type crmguard struct {
	*proc
	adminURL string
	token    string
}

// buildCrmguard compiles ./cmd/crmguard from the module at root into dir.
func buildCrmguard(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "crmguard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("building crmguard: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/crmguard")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building crmguard (go build -o %s ./cmd/crmguard): %w\n%s", bin, err, out)
	}
	return bin, nil
}

// crmguardConfig returns crmguard's configuration: classification with
// the salesforce dialect, recording into SQLite at dbPath, and rollups
// every second so that the admin stats are current soon after the load.
func crmguardConfig(port, adminPort, upstreamPort int, dbPath string) string {
	return fmt.Sprintf(`# Written by bench/proxybench; removed after the run.
listen: 127.0.0.1:%d
admin:
  listen: 127.0.0.1:%d
  token_env: %s
store: sqlite://%s
log: {level: warn}
recording: {rollup_interval: 1s}
upstreams:
  - name: crm
    url: http://127.0.0.1:%d
    dialect: salesforce
    timeout: 30s
`, port, adminPort, tokenEnv, dbPath, upstreamPort)
}

// startCrmguard writes the configuration under dir and runs `bin serve`
// with a fresh random admin token, then waits for /readyz.
func startCrmguard(ctx context.Context, bin, dir string, port, adminPort, upstreamPort int) (*crmguard, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating crmguard directory: %w", err)
	}
	conf := filepath.Join(dir, "crmguard.yaml")
	db := filepath.Join(dir, "crmguard.db")
	if err := os.WriteFile(conf, []byte(crmguardConfig(port, adminPort, upstreamPort, db)), 0o644); err != nil {
		return nil, fmt.Errorf("writing crmguard configuration: %w", err)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("making an admin token: %w", err)
	}
	token := hex.EncodeToString(raw)
	p, err := startProc("crmguard", filepath.Join(dir, "crmguard.log"), []string{tokenEnv + "=" + token},
		bin, "serve", "--config", conf)
	if err != nil {
		return nil, err
	}
	g := &crmguard{proc: p, adminURL: fmt.Sprintf("http://127.0.0.1:%d", adminPort), token: token}
	if err := p.waitHTTP(ctx, g.adminURL+"/readyz", 30*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return g, nil
}

// recordedCalls returns the calls crmguard's admin API reports for the
// upstream "crm" over the last hour (GET /api/v1/stats?since=1h).
func (g *crmguard) recordedCalls(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.adminURL+"/api/v1/stats?since=1h", nil)
	if err != nil {
		return 0, fmt.Errorf("reading crmguard stats: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading crmguard stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("reading crmguard stats: GET /api/v1/stats: %s", resp.Status)
	}
	var stats struct {
		Upstreams []struct {
			Upstream string `json:"upstream"`
			Calls    int64  `json:"calls"`
		} `json:"upstreams"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return 0, fmt.Errorf("reading crmguard stats: decoding JSON: %w", err)
	}
	for _, u := range stats.Upstreams {
		if u.Upstream == "crm" {
			return u.Calls, nil
		}
	}
	return 0, nil
}

// metrics returns crmguard's Prometheus samples whose name starts with
// prefix, summed per metric name (labels dropped). /metrics needs no
// token.
func (g *crmguard) metrics(ctx context.Context, prefix string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.adminURL+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("reading crmguard metrics: %w", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading crmguard metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading crmguard metrics: GET /metrics: %s", resp.Status)
	}
	out, err := sumSamples(resp.Body, prefix)
	if err != nil {
		return nil, fmt.Errorf("reading crmguard metrics: %w", err)
	}
	return out, nil
}

// sumSamples reads Prometheus text exposition and returns the samples
// whose metric name starts with prefix, summed per name over their
// labels.
func sumSamples(r io.Reader, prefix string) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		// name{labels} value [timestamp], or name value [timestamp]; label
		// values may hold spaces but not an unescaped '}'.
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				continue
			}
			rest = rest[j+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// drain waits until crmguard's recorder queue is empty, so that writing a
// backlog of call records does not overlap the next measurement. It
// returns how long that took; after limit it gives up and returns limit.
func (g *crmguard) drain(ctx context.Context, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < limit {
		m, err := g.metrics(ctx, "crmguard_recorder_queue_length")
		if err != nil {
			return time.Since(start), err
		}
		if m["crmguard_recorder_queue_length"] == 0 {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return limit, nil
}
