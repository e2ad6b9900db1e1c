package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// caddyfile returns the Caddy configuration: one plain-HTTP site on
// 127.0.0.1:port that strips /crm and reverse-proxies to the upstream
// with Caddy's default HTTP transport (keep-alive on).
//
// The admin endpoint is off, so nothing else listens; auto HTTPS is off
// and the site address is http://, so Caddy neither redirects nor creates
// certificates; no `log` directive, so nothing is logged per request.
func caddyfile(port, upstreamPort int) string {
	return fmt.Sprintf(`# Written by bench/proxybench; removed after the run.
{
	admin off
	auto_https off
}

http://127.0.0.1:%d {
	bind 127.0.0.1
	handle_path %s/* {
		reverse_proxy 127.0.0.1:%d
	}
}
`, port, proxyPrefix, upstreamPort)
}

// startCaddy writes the Caddyfile under dir and runs Caddy on it. HOME and
// the XDG directories point into dir so that Caddy stores nothing in the
// user's home.
func startCaddy(bin, dir string, port, upstreamPort int) (*proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating caddy directory: %w", err)
	}
	conf := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(conf, []byte(caddyfile(port, upstreamPort)), 0o644); err != nil {
		return nil, fmt.Errorf("writing Caddyfile: %w", err)
	}
	env := []string{
		"HOME=" + dir,
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
	}
	return startProc("caddy", filepath.Join(dir, "caddy.log"), env,
		bin, "run", "--config", conf, "--adapter", "caddyfile")
}
