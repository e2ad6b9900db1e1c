package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/crmguard/crmguard/internal/contract"
	"github.com/crmguard/crmguard/internal/shape"
)

const contractUsage = `Usage: crmguard contract COMMAND [ARGS] [OPTIONS]

Work with the OpenAPI contracts crmguard holds CRM calls to.

Commands:
  check SPEC [--json]
      Load an OpenAPI 3.0 or 3.1 contract (JSON or YAML, local $refs resolved)
      and report every problem: references that do not resolve, what breaks
      the OpenAPI schema (with line and column), and operations crmguard can
      check only in part because they declare no schema (warnings).
      Exit status 1 when there is an error, 0 with warnings only.
  diff OLD NEW [--json]
      Compare two versions of a contract and list the breaking and the
      compatible changes, each with where it is and the lines in both files.
      Exit status 1 when a change is breaking, so CI can stop a release.
  learn --upstream U [--out FILE] [--title T] [--strict] [--min-samples N]
      Draft an OpenAPI 3.1 contract from the traffic a running crmguard
      recorded for upstream U (contract.learn: true in its configuration):
      paths, methods, path and query parameters, request and response body
      schemas with types, formats and required properties. Only shapes are
      recorded, never values. A property is required when every one of at
      least N (default 5) observed bodies had it; --strict also forbids
      properties never observed. Review the draft, then use it as
      contract.spec with requests: report before enforce.
      Talks to the admin API: --admin URL, --token-env NAME, --timeout D as
      for crmguard queue.

Exit status: 0 done, 1 problems found or the operation failed, 2 usage error.

See docs/guard.md.
`

// contractCmd runs crmguard contract COMMAND.
func contractCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, contractUsage)
		return errUsage
	}
	q := adminRun{group: "contract", getenv: getenv, stdout: stdout, stderr: stderr}
	switch cmd, args := args[0], args[1:]; cmd {
	case "check":
		return q.contractCheck(args)
	case "diff":
		return q.contractDiff(args)
	case "learn":
		return q.contractLearn(ctx, args)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, contractUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "crmguard contract: unknown command %q\n\n%s", cmd, contractUsage)
		return errUsage
	}
}

// errFound is returned when a command ran and found problems; its output
// already said what they are.
var errFound = errors.New("problems found")

func (q adminRun) contractCheck(args []string) error {
	fs := flags("contract check", "contract check SPEC [--json]", q.stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return q.usage("check", "name one contract file, e.g. crmguard contract check contracts/suitecrm.json")
	}
	in, err := contract.Inspect(rest[0])
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(q.stdout, in); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(q.stdout, "%s: OpenAPI %s, %q, %d operations: %d errors, %d warnings\n",
			in.Source, in.OpenAPI, in.Title, in.Operations, in.Errors(), len(in.Problems)-in.Errors())
		for _, p := range in.Problems {
			at := in.Source
			if p.Line > 0 {
				at = fmt.Sprintf("%s:%d:%d", in.Source, p.Line, p.Column)
			}
			where := ""
			if p.Where != "" {
				where = " " + p.Where + ":"
			}
			fmt.Fprintf(q.stdout, "%s: %s:%s %s\n", at, p.Severity, where, p.Message)
		}
	}
	if in.Errors() > 0 {
		return errFound
	}
	return nil
}

func (q adminRun) contractDiff(args []string) error {
	fs := flags("contract diff", "contract diff OLD NEW [--json]", q.stderr)
	asJSON := fs.Bool("json", false, "print the differences as JSON")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 {
		return q.usage("diff", "name the old and the new contract, e.g. crmguard contract diff v1.yaml v2.yaml")
	}
	old, err := contract.Load(rest[0], contract.Options{})
	if err != nil {
		return err
	}
	updated, err := contract.Load(rest[1], contract.Options{})
	if err != nil {
		return err
	}
	r, err := contract.Diff(old, updated)
	if err != nil {
		return err
	}
	if *asJSON {
		err = writeJSON(q.stdout, r)
	} else {
		err = r.WriteText(q.stdout)
	}
	if err != nil {
		return err
	}
	if len(r.Breaking) > 0 {
		return errFound
	}
	return nil
}

func (q adminRun) contractLearn(ctx context.Context, args []string) error {
	fs, conn := q.flagSet("learn", "learn --upstream U [--out FILE] [--title T] [--strict] [--min-samples N]")
	upstreamName := fs.String("upstream", "", "the `upstream` whose traffic to draft a contract from (required)")
	out := fs.String("out", "", "write the draft to this `file` instead of standard output")
	title := fs.String("title", "", "the draft's info.title (default: the upstream's name)")
	strict := fs.Bool("strict", false, "forbid properties never observed (additionalProperties: false)")
	minSamples := fs.Int("min-samples", 5, "observations a schema needs before properties count as required")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return q.usage("learn", "unexpected argument %q", rest[0])
	case *upstreamName == "":
		return q.usage("learn", "--upstream is required: name the upstream whose traffic was recorded")
	case *minSamples < 1:
		return q.usage("learn", "--min-samples must be at least 1")
	}
	c, err := q.client("learn", conn)
	if err != nil {
		return err
	}
	var shapes struct {
		Upstream   string             `json:"upstream"`
		Operations []*shape.Operation `json:"operations"`
	}
	if err := c.call(ctx, "GET", "/api/v1/shapes?upstream="+url.QueryEscape(*upstreamName), nil, &shapes); err != nil {
		return err
	}
	if len(shapes.Operations) == 0 {
		return fmt.Errorf("no traffic recorded for upstream %s: set contract.learn: true on it, let integrations call it for a while, and try again", *upstreamName)
	}
	if *title == "" {
		*title = *upstreamName
	}
	doc, err := shape.Render(shapes.Operations, shape.RenderOptions{
		Title: *title, Version: "draft", Strict: *strict, MinSamples: int64(*minSamples),
	})
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = q.stdout.Write(doc)
		return err
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(q.stderr, "wrote a draft contract of %d operations to %s; review it, then check it with crmguard contract check %s\n", len(shapes.Operations), *out, *out)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
