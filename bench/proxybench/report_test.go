package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSumSamples(t *testing.T) {
	in := `# HELP crmguard_recorder_dropped_total Call records not stored.
# TYPE crmguard_recorder_dropped_total counter
crmguard_recorder_dropped_total{reason="buffer_full"} 12
crmguard_recorder_dropped_total{reason="write error } odd"} 3
crmguard_recorder_written_total 1.5e+06
crmguard_recorder_queue_length 0 1700000000000
crmguard_calls_total{class="ok"} 99
`
	got, err := sumSamples(strings.NewReader(in), "crmguard_recorder_")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"crmguard_recorder_dropped_total": 15,
		"crmguard_recorder_written_total": 1.5e6,
		"crmguard_recorder_queue_length":  0,
	}
	if len(got) != len(want) {
		t.Errorf("got %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %g; want %g", k, got[k], v)
		}
	}
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{name: "thousands small", got: thousands(999), want: "999"},
		{name: "thousands", got: thousands(1234567.6), want: "1,234,568"},
		{name: "thousands negative", got: thousands(-1234), want: "-1,234"},
		{name: "µs", got: fmtDur(412 * time.Microsecond), want: "412 µs"},
		{name: "ms", got: fmtDur(1234 * time.Microsecond), want: "1.23 ms"},
		{name: "added", got: signedDur(80 * time.Microsecond), want: "+80 µs"},
		{name: "removed", got: signedDur(-2 * time.Millisecond), want: "−2.00 ms"},
		{name: "cpu", got: cpuPct(1500*time.Millisecond, 10*time.Second), want: "15%"},
		{name: "command line", got: commandLine([]string{"-duration", "10s", "-out", "a b.md"}),
			want: "go run ./bench/proxybench -duration 10s -out 'a b.md'"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q; want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults", args: nil},
		{name: "short duration", args: []string{"-duration", "10ms"}, wantErr: "at least 1s"},
		{name: "unknown target", args: []string{"-targets", "direct,envoy"}, wantErr: `unknown target "envoy"`},
		{name: "more threads than connections", args: []string{"-threads", "8", "-connections", "4"}, wantErr: "threads ≤ connections"},
		{name: "stray argument", args: []string{"now"}, wantErr: `unexpected argument "now"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, &strings.Builder{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("parseFlags: %v", err)
				}
				if o.duration != 10*time.Second || o.rounds != 2 || o.connections != 64 || o.rate != 1000 || o.rateConns != 4 {
					t.Errorf("defaults = %+v", o)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseFlags error = %v; want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestNginxConf checks the generated configurations with `nginx -t` when
// nginx is installed (it is not on CI).
func TestNginxConf(t *testing.T) {
	bin, err := exec.LookPath("/usr/sbin/nginx")
	if err != nil {
		t.Skip("nginx not installed")
	}
	for name, blocks := range map[string]string{
		"upstream": upstreamBlocks(1),
		"proxy":    nginxProxyBlocks(2, 1),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(conf, []byte(nginxConf(dir, blocks)), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-t", "-q", "-p", dir+"/", "-c", conf, "-e", filepath.Join(dir, "error.log")).CombinedOutput()
			if err != nil {
				t.Fatalf("nginx -t: %v\n%s", err, out)
			}
		})
	}
}

// TestCaddyfile checks the generated Caddyfile with `caddy adapt
// --validate` when Caddy is installed.
func TestCaddyfile(t *testing.T) {
	bin, err := exec.LookPath("/usr/bin/caddy")
	if err != nil {
		t.Skip("caddy not installed")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(caddyfile(2, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "adapt", "--config", conf, "--adapter", "caddyfile", "--validate")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("caddy adapt: %v\n%s", err, out)
	}
}
