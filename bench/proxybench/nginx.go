package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Upstream: the fake CRM every target forwards to.
//
// It is a separate nginx instance answering from its configuration with
// `return 200 '…'`: no file I/O, no application code, a few microseconds
// per request in C. That makes it the fastest server on this machine, so
// that the proxies, not the upstream, are what the table compares. A Go
// httptest server inside the harness would share the harness's CPU and
// garbage collector with the load generator and blur the "direct" row.
const (
	// recordPath is the Salesforce REST path of the record the upstream
	// serves; every other path is a 404.
	recordPath = "/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS"

	// recordBody is a Salesforce-like record (about 350 bytes). It must
	// not contain ' or $ (nginx string syntax).
	recordBody = `{"attributes":{"type":"Contact","url":"/services/data/v59.0/sobjects/Contact/003XX000004TmiQQAS"},` +
		`"Id":"003XX000004TmiQQAS","AccountId":"001XX000003DHPhYAO","FirstName":"Ada","LastName":"Lovelace",` +
		`"Name":"Ada Lovelace","Email":"ada@example.com","Title":"VP Engineering",` +
		`"LastModifiedDate":"2024-05-02T10:15:30.000+0000","IsDeleted":false}`

	// proxyPrefix is the path prefix every proxy strips before forwarding,
	// as crmguard does for an upstream named "crm".
	proxyPrefix = "/crm"
)

// nginxConf returns a complete nginx configuration for an instance rooted
// at prefix, with the given blocks inside http{}. Everything nginx writes
// goes under prefix; nothing is logged per request.
//
// keepalive_requests is raised from its default of 1000 (nginx ≥ 1.19.10)
// on both sides: otherwise nginx closes every keep-alive connection after
// 1000 requests, which wrk counts as read errors and which would make
// nginx, and only nginx, reconnect to the upstream ~30 times a second.
func nginxConf(prefix, blocks string) string {
	p := func(name string) string { return filepath.Join(prefix, name) }
	return fmt.Sprintf(`# Written by bench/proxybench; removed after the run.
worker_processes auto;
daemon off;
pid %s;
error_log %s warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    server_tokens off;
    keepalive_requests 1000000;
    keepalive_timeout 75s;
    client_body_temp_path %s;
    proxy_temp_path %s;
    fastcgi_temp_path %s;
    uwsgi_temp_path %s;
    scgi_temp_path %s;
%s
}
`, p("nginx.pid"), p("error.log"), p("client_body"), p("proxy"), p("fastcgi"), p("uwsgi"), p("scgi"), blocks)
}

// upstreamBlocks is the http{} content of the upstream instance.
func upstreamBlocks(port int) string {
	return fmt.Sprintf(`    server {
        listen 127.0.0.1:%d;
        location = %s {
            default_type application/json;
            return 200 '%s';
        }
        location / {
            return 404;
        }
    }`, port, recordPath, recordBody)
}

// nginxProxyBlocks is the http{} content of the nginx reverse proxy: the
// setup nginx's documentation gives for keep-alive to an upstream
// (upstream block with keepalive, HTTP/1.1, empty Connection header).
func nginxProxyBlocks(port, upstreamPort int) string {
	return fmt.Sprintf(`    upstream crm {
        server 127.0.0.1:%d;
        keepalive 64;
        keepalive_requests 1000000;
    }
    server {
        listen 127.0.0.1:%d;
        location %s/ {
            proxy_pass http://crm/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }`, upstreamPort, port, proxyPrefix)
}

// startNginx writes an nginx configuration with blocks under dir and
// starts nginx on it in the foreground.
func startNginx(bin, name, dir, blocks string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s directory: %w", name, err)
	}
	// Workers run as nobody when the harness is root: let them reach the
	// temp paths.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s directory: %w", name, err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, blocks)), 0o644); err != nil {
		return nil, fmt.Errorf("writing %s configuration: %w", name, err)
	}
	// -e sends the errors nginx meets before reading its configuration to
	// the same file instead of the compiled-in /var/log path.
	p, err := startProc(name, filepath.Join(dir, "stderr.log"), nil,
		bin, "-p", dir+string(filepath.Separator), "-c", conf, "-e", filepath.Join(dir, "error.log"))
	if err != nil {
		return nil, err
	}
	return p, nil
}

// nginxErrors returns the [error]/[crit]/[alert]/[emerg] lines an nginx
// instance logged, for the report.
func nginxErrors(dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "error.log"))
	if err != nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		for _, lvl := range []string{"[error]", "[crit]", "[alert]", "[emerg]"} {
			if strings.Contains(l, lvl) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}
