package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestOpenLoop_Run(t *testing.T) {
	tests := []struct {
		name          string
		handler       func(n int64, w http.ResponseWriter)
		wantNon200    int
		wantReconnect bool
	}{
		{
			name:    "all 200",
			handler: func(int64, http.ResponseWriter) {},
		},
		{
			name: "every tenth a 503",
			handler: func(n int64, w http.ResponseWriter) {
				if n%10 == 0 {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			},
			wantNon200: 10,
		},
		{
			name: "server closes every fifth connection",
			handler: func(n int64, w http.ResponseWriter) {
				if n%5 == 0 {
					w.Header().Set("Connection", "close")
				}
			},
			wantReconnect: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/x" {
					http.NotFound(w, r)
					return
				}
				tc.handler(n.Add(1), w)
				_, _ = w.Write([]byte(`{"ok":true}`))
			}))
			defer srv.Close()
			o := openLoop{addr: strings.TrimPrefix(srv.URL, "http://"), path: "/x", rate: 200, conns: 2, dur: 500 * time.Millisecond}
			start := time.Now()
			got, err := o.run(context.Background())
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if el := time.Since(start); el < 450*time.Millisecond {
				t.Errorf("run took %s; want about 500ms (requests must be paced)", el)
			}
			if got.Sent != 100 || len(got.Latencies) != 100 || got.Errors != 0 {
				t.Errorf("sent %d, latencies %d, errors %d; want 100, 100, 0", got.Sent, len(got.Latencies), got.Errors)
			}
			if got.Non200 != tc.wantNon200 {
				t.Errorf("non-200 = %d; want %d", got.Non200, tc.wantNon200)
			}
			if (got.Reconnects > 0) != tc.wantReconnect {
				t.Errorf("reconnects = %d; want some: %t", got.Reconnects, tc.wantReconnect)
			}
			for i := 1; i < len(got.Latencies); i++ {
				if got.Latencies[i] < got.Latencies[i-1] {
					t.Fatalf("latencies not sorted at %d", i)
				}
			}
		})
	}
}

func TestOpenLoop_RunCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	o := openLoop{addr: strings.TrimPrefix(srv.URL, "http://"), path: "/", rate: 10, conns: 1, dur: time.Hour}
	if _, err := o.run(ctx); err == nil {
		t.Fatal("run after cancel: got nil error; want the context's")
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{name: "empty", in: nil, p: 99, want: 0},
		{name: "one", in: ms(7), p: 50, want: 7 * time.Millisecond},
		{name: "median of ten", in: ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 50, want: 5 * time.Millisecond},
		{name: "p90 of ten", in: ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 90, want: 9 * time.Millisecond},
		{name: "p99 of ten is the max", in: ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), p: 99, want: 10 * time.Millisecond},
		{name: "p100", in: ms(1, 2, 3), p: 100, want: 3 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("percentile(p%g) = %s; want %s", tc.p, got, tc.want)
			}
		})
	}
}
