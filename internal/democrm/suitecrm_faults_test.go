package democrm

import (
	"fmt"
	"strings"
	"testing"
)

// v8Detail checks a SuiteCRM V8 error's detail.
func v8Detail(detail string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		if got := scDetail(t, r); got != detail {
			t.Errorf("detail %q; want %q", got, detail)
		}
	}
}

// lacks checks that the body does not contain text.
func lacks(text string) func(*testing.T, reply) {
	return func(t *testing.T, r reply) {
		t.Helper()
		if strings.Contains(string(r.body), text) {
			t.Errorf("body %s; want it without %s", r.body, text)
		}
	}
}

// TestSuiteCRM_FaultClasses sends every SuiteCRM fault of faultCases, and
// a few more forms, and checks that crmguard's SuiteCRM dialect reads
// each as the class its kind stands for. Drift is the exception by
// design: its answer looks healthy, and only a contract check sees it.
func TestSuiteCRM_FaultClasses(t *testing.T) {
	type tc struct {
		kind   Kind
		req    string
		nth    int // the injection on one server, for kinds that alternate forms
		status int
	}
	var tests []tc
	for _, c := range faultCases() {
		if c.dialect == SuiteCRM {
			tests = append(tests, tc{c.kind, c.req, 1, c.status})
		}
	}
	tests = append(tests,
		tc{ServerError, reqSCCreate, 2, 400}, // the database failure a controller answers
		tc{ServerError, "POST /suitecrm/Api/access_token", 1, 500},
		tc{SessionExpired, "POST /suitecrm/Api/V8/logout", 1, 401},
		tc{NotFound, "GET /suitecrm/Api/V8/module/Contacts/" + scContact1 + "/relationships/accounts", 1, 400},
		tc{Permission, reqSCList, 1, 400},
	)
	for _, c := range tests {
		method, path, _ := strings.Cut(c.req, " ")
		t.Run(fmt.Sprintf("%s/%s/%d", c.kind, path, c.nth), func(t *testing.T) {
			s, base := startTest(t, Options{SlowFor: 10e6})
			if err := s.Inject(FaultSpec{Kind: c.kind, Dialect: SuiteCRM}, c.nth); err != nil {
				t.Fatal(err)
			}
			var r reply
			for range c.nth {
				r = send(t, base, method, path, bodyFor(c.req), nil)
			}
			if r.status != c.status {
				t.Fatalf("status %d; want %d (body %s)", r.status, c.status, r.body)
			}
			want := c.kind.Class()
			if c.kind == Drift {
				want = "ok"
			}
			if got := dialectClass(method, path, r); got != want {
				t.Errorf("crmguard's SuiteCRM dialect reads %s; want %s (body %s)", got, want, r.body)
			}
			if got := s.InjectedByKind()[c.kind]; got != c.nth {
				t.Errorf("InjectedByKind()[%s] = %d; want %d", c.kind, got, c.nth)
			}
		})
	}
}
