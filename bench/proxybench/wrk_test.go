package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    wrkResult
		wantErr string
	}{
		{
			name: "clean run",
			file: "wrk-ok.txt",
			want: wrkResult{
				Requests: 28302, Elapsed: 1030 * time.Millisecond, RPS: 27555.09,
				Latency: map[int]time.Duration{50: 77 * time.Microsecond, 75: 116 * time.Microsecond, 90: 1230 * time.Microsecond, 99: 6440 * time.Microsecond},
			},
		},
		{
			name: "non-2xx answers",
			file: "wrk-non2xx.txt",
			want: wrkResult{
				Requests: 21964, Elapsed: time.Second, RPS: 21944.34, Non2xx: 21964,
				Latency: map[int]time.Duration{50: 78 * time.Microsecond, 75: 175 * time.Microsecond, 90: 1200 * time.Microsecond, 99: 3880 * time.Microsecond},
			},
		},
		{
			name: "socket errors and long times",
			file: "wrk-socket-errors.txt",
			want: wrkResult{
				Requests: 41234, Elapsed: time.Minute, RPS: 4123.4, Connect: 1, Read: 2, Write: 3, Timeout: 4,
				Latency: map[int]time.Duration{50: 14900 * time.Microsecond, 75: 22240 * time.Microsecond, 90: 32340 * time.Microsecond, 99: 1020 * time.Millisecond},
			},
		},
		{name: "without --latency", file: "wrk-no-latency.txt", wantErr: "latency distribution"},
		{name: "not wrk output", file: "", wantErr: "requests in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out []byte
			if tc.file != "" {
				var err error
				if out, err = os.ReadFile(filepath.Join("testdata", tc.file)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := parseWrk(string(out))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseWrk error = %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseWrk: %v", err)
			}
			if got.Requests != tc.want.Requests || !near(got.Elapsed, tc.want.Elapsed) || got.RPS != tc.want.RPS {
				t.Errorf("requests, elapsed, rps = %d, %s, %g; want %d, %s, %g",
					got.Requests, got.Elapsed, got.RPS, tc.want.Requests, tc.want.Elapsed, tc.want.RPS)
			}
			if got.Non2xx != tc.want.Non2xx || got.Connect != tc.want.Connect || got.Read != tc.want.Read ||
				got.Write != tc.want.Write || got.Timeout != tc.want.Timeout {
				t.Errorf("errors = %d %d/%d/%d/%d; want %d %d/%d/%d/%d", got.Non2xx, got.Connect, got.Read, got.Write, got.Timeout,
					tc.want.Non2xx, tc.want.Connect, tc.want.Read, tc.want.Write, tc.want.Timeout)
			}
			for p, want := range tc.want.Latency {
				if !near(got.Latency[p], want) {
					t.Errorf("p%d = %s; want %s", p, got.Latency[p], want)
				}
			}
		})
	}
}

// near reports whether two durations parsed from decimal text agree to a
// nanosecond (float rounding).
func near(a, b time.Duration) bool { return a-b <= 1 && b-a <= 1 }

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "250.00us", want: 250 * time.Microsecond},
		{in: "1.02ms", want: 1020 * time.Microsecond},
		{in: "10.01s", want: 10010 * time.Millisecond},
		{in: "1.50m", want: 90 * time.Second},
		{in: "2.00h", want: 2 * time.Hour},
		{in: "5", wantErr: true},
		{in: "ms", wantErr: true},
		{in: "3.0d", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseWrkDuration(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseWrkDuration(%q) error = %v; want error %t", tc.in, err, tc.wantErr)
			}
			if !near(got, tc.want) {
				t.Errorf("parseWrkDuration(%q) = %s; want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestWrkSeconds(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{in: 10 * time.Second, want: "10s"},
		{in: 1500 * time.Millisecond, want: "2s"},
		{in: 0, want: "1s"},
	}
	for _, tc := range tests {
		if got := wrkSeconds(tc.in); got != tc.want {
			t.Errorf("wrkSeconds(%s) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
