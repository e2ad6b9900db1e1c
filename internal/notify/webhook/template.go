package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/crmguard/crmguard/internal/notify"
)

// funcs are the helpers a body template can call besides text/template's
// own: json quotes any value for a JSON body (strings included, which a
// bare {{.Summary}} would not), pairs turns a label map into sorted
// "name=value" strings for join.
var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"upper": func(v any) string { return strings.ToUpper(text(v)) },
	"lower": func(v any) string { return strings.ToLower(text(v)) },
	// join takes the separator first so it reads well in a pipeline:
	// {{pairs .GroupLabels | join ", "}}.
	"join": func(sep string, elems []string) string { return strings.Join(elems, sep) },
	"pairs": func(m map[string]string) []string {
		out := make([]string, 0, len(m))
		for _, k := range slices.Sorted(maps.Keys(m)) {
			out = append(out, k+"="+m[k])
		}
		return out
	},
}

// text returns v as a string, so that upper and lower also take the
// string types of notify (.Status is a notify.Status, which
// text/template would not pass as a string).
func text(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return rv.String()
	}
	return fmt.Sprint(v)
}

// CheckTemplate reports what is wrong with a body template sent with
// headers, as New would, for crmguard validate.
func CheckTemplate(src string, headers map[string]string) error {
	ct := "application/json"
	for name, v := range headers {
		if http.CanonicalHeaderKey(name) == "Content-Type" {
			ct = v
		}
	}
	_, err := parseTemplate(src, isJSON(ct))
	return err
}

// parseTemplate parses src as a body template and tries it on a sample
// message, so that a field that does not exist (.Alert instead of
// .Alerts) or a helper called with the wrong arguments is reported when
// the notifier is built rather than when the first alert fires. With
// checkJSON it also requires the sample's body to be JSON: the sample's
// summary holds a double quote and a newline, so a template that inserts
// a string without {{json …}} is caught here.
func parseTemplate(src string, checkJSON bool) (*template.Template, error) {
	// missingkey=zero renders an absent label as "" rather than
	// "<no value>", since which labels an alert has depends on its rule.
	t, err := template.New("body").Option("missingkey=zero").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("parsing the template: %w", err)
	}
	body, err := execute(t, sampleMessage())
	if err != nil {
		return nil, fmt.Errorf("trying the template on a sample message: %w", err)
	}
	if checkJSON && !json.Valid(body) {
		return nil, fmt.Errorf("the template does not render JSON for a sample message (insert strings with {{json .Summary}}, not \"{{.Summary}}\"; or set a Content-Type header other than JSON): got %s", excerpt(body, maxExcerpt))
	}
	return t, nil
}

func execute(t *template.Template, m notify.Message) ([]byte, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sampleMessage is a message with every field set, one firing alert and
// one resolved, used to try a template before it is needed.
func sampleMessage() notify.Message {
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	labels := map[string]string{"alertname": "sample-rule", "severity": "critical", "upstream": "sample"}
	return notify.Message{
		Notifier:    "sample",
		Kind:        notify.Fire,
		Status:      notify.Firing,
		Group:       "sample-group",
		GroupLabels: map[string]string{"alertname": "sample-rule", "upstream": "sample"},
		Summary:     "sample-rule firing: \"sample\"\nsecond line",
		Alerts: []notify.Alert{{
			ID: "sample-1", Rule: "sample-rule", Status: notify.Firing, Severity: "critical",
			Labels:      labels,
			Annotations: map[string]string{"summary": "a \"quoted\" summary", "description": "a description"},
			Value:       0.5, StartsAt: start, URL: "http://127.0.0.1/alerts/sample-1",
		}, {
			ID: "sample-2", Rule: "sample-rule", Status: notify.Resolved, Severity: "critical",
			Labels:      labels,
			Annotations: map[string]string{"summary": "resolved"},
			Value:       0, StartsAt: start, EndsAt: start.Add(time.Hour),
		}},
		SentAt: start.Add(time.Minute),
	}
}
