package main

import (
	"fmt"
	"io"
	"os"

	"github.com/crmguard/crmguard/internal/alert"
	"github.com/crmguard/crmguard/internal/config"
)

const rulesUsage = `Usage: crmguard rules prometheus --config FILE [--out FILE]

Write the alert rules of a crmguard configuration (alerts.rules) as a
Prometheus alerting rule file over crmguard's /metrics, for teams that alert
in Prometheus and Alertmanager. Check it with: promtool check rules FILE.

Two conditions are measured differently there: latency quantiles come from
the crmguard_call_duration_seconds histogram's buckets, and incident rules
fire per upstream and class (crmguard_incidents_open), not per incident.

See docs/integrations.md, "Prometheus".
`

// rulesCmd runs `crmguard rules prometheus`.
func rulesCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "prometheus" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, rulesUsage)
			return nil
		}
		fmt.Fprint(stderr, rulesUsage)
		return errUsage
	}
	fs := flags("rules prometheus", "rules prometheus --config FILE [--out FILE]", stderr)
	path := fs.String("config", "crmguard.yaml", "configuration `file`")
	out := fs.String("out", "", "write the rule file here instead of standard output")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := config.LoadFile(*path)
	if err != nil {
		return err
	}
	if len(cfg.Alerts.Rules) == 0 {
		return fmt.Errorf("%s has no alerts.rules to write; see docs/alerting.md", *path)
	}
	var rules []*alert.Rule
	for i, spec := range cfg.AlertSpecs() {
		r, err := alert.Compile(spec)
		if err != nil {
			return fmt.Errorf("alerts.rules[%d]: %w", i, err)
		}
		rules = append(rules, r)
	}
	b, err := alert.PrometheusRules(rules)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return fmt.Errorf("writing the rule file: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d rules to %s\n", len(rules), *out)
	return nil
}
