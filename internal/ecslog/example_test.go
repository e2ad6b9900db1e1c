package ecslog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/crmguard/crmguard/internal/call"
	"github.com/crmguard/crmguard/internal/ecslog"
	"github.com/crmguard/crmguard/internal/fault"
)

// A failed call, written to a log that rotates at 10 MiB and keeps five
// rotated files.
func ExampleWriter() {
	dir, err := os.MkdirTemp("", "ecslog")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "crmguard.ndjson")

	w, err := ecslog.Open(ecslog.Options{Path: path, MaxSize: 10 << 20, MaxFiles: 5})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := &call.Call{
		ID: "01HQ3Z", Start: time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC),
		Upstream: "hubspot", Method: "POST", Operation: "/crm/v3/objects/contacts", Client: "billing-sync",
		Status: 429, Class: fault.RateLimit, VendorCode: "RATE_LIMIT", Message: "Too many requests",
		Retryable: true, Latency: 35 * time.Millisecond, Attempts: 1,
	}
	if err := w.Write(ecslog.Call(c).WithIncident("5d41402abc4b2a76")); err != nil {
		fmt.Println(err)
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(b))
	// Output:
	// {"@timestamp":"2025-03-04T09:00:00Z","ecs":{"version":"8.11.0"},"message":"POST /crm/v3/objects/contacts on hubspot failed: rate_limit (429 RATE_LIMIT): Too many requests","log":{"level":"error"},"service":{"name":"crmguard"},"event":{"kind":"event","category":["web"],"type":["access","error"],"action":"crm-call","dataset":"crmguard.calls","module":"crmguard","outcome":"failure","id":"01HQ3Z","duration":35000000},"http":{"request":{"method":"POST"},"response":{"status_code":429}},"error":{"type":"rate_limit","code":"RATE_LIMIT","message":"Too many requests"},"crmguard":{"upstream":"hubspot","operation":"/crm/v3/objects/contacts","client":"billing-sync","class":"rate_limit","attempts":1,"retryable":true,"incident":{"fingerprint":"5d41402abc4b2a76"}}}
}
