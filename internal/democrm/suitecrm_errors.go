package democrm

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// suiteJSON returns v as SuiteCRM encodes its documents: json_encode with
// JSON_PRETTY_PRINT, four spaces a level. The caller sets the media type.
func suiteJSON(status int, class string, v any) answer {
	a := jsonAnswer(status, class, v)
	var b bytes.Buffer
	if json.Indent(&b, a.body, "", "    ") == nil {
		a.body = b.Bytes()
	}
	return a
}

// suiteDoc returns a JSON:API document as BaseController::generateResponse
// sends it, echoing the media type in an Accept header as SuiteCRM does.
func suiteDoc(status int, class string, v any) answer {
	a := suiteJSON(status, class, v)
	a.header.Set("Accept", suiteMediaType)
	a.header.Set("Content-Type", suiteMediaType)
	return a
}

// suiteMeta is a document that carries only a message, such as a delete's:
// DocumentResponse puts meta first and keeps the empty data.
func suiteMeta(status int, msg string) answer {
	return suiteDoc(status, "ok", obj{{"meta", obj{{"message", msg}}}, {"data", []any{}}})
}

// suiteErr is an error the V8 API answers with HTTP 400 and the
// ErrorResponse object: {"errors": {"status", "title", "detail"}}, an
// object rather than JSON:API's array, title never set.
type suiteErr struct {
	detail string
	class  string
	// params marks an error ParamsMiddleware raised while resolving the
	// request's parameters: it answers with Slim's withJson, so the media
	// type is plain JSON, not JSON:API.
	params bool
	// crash marks a PHP Error rather than an Exception: no catch block of
	// the API takes it, and Slim's error page answers (see slimError).
	crash bool
}

// paramErr is an OptionsResolver or normalizer failure: the call is wrong.
func paramErr(detail string) *suiteErr {
	return &suiteErr{detail: detail, class: "parameter", params: true}
}

// controllerErr is an exception a controller caught.
func controllerErr(class, detail string) *suiteErr {
	return &suiteErr{detail: detail, class: class}
}

// suiteDBFailure is what a failed SQL statement becomes: sugar_die throws
// the database failure message, and the controller answers it with 400
// like any exception, though SuiteCRM, not the call, failed.
func suiteDBFailure() *suiteErr {
	return controllerErr("server", "Database failure. Please refer to suitecrm.log for details.")
}

func (e *suiteErr) answer() answer {
	body := obj{{"errors", obj{{"status", http.StatusBadRequest}, {"title", nil}, {"detail", e.detail}}}}
	var a answer
	if e.params {
		a = suiteJSON(http.StatusBadRequest, e.class, body)
		a.header.Set("Content-Type", slimJSON)
	} else {
		a = suiteDoc(http.StatusBadRequest, e.class, body)
	}
	// The only code a V8 detail carries is an exception name in brackets.
	if rest, ok := strings.CutPrefix(e.detail, "["); ok {
		a.code, _, _ = strings.Cut(rest, "]")
	}
	return a
}

// oauthErr is a league/oauth2-server OAuthServerException, as its
// generateHttpResponse sends it: compact JSON {error, message, hint}.
type oauthErr struct {
	status     int
	class      string
	label, msg string
	hint       string
	www        string // WWW-Authenticate, for invalid_client
}

func (e *oauthErr) answer() answer {
	body := obj{{"error", e.label}, {"message", e.msg}}
	if e.hint != "" {
		body = append(body, kv{"hint", e.hint})
	}
	a := jsonAnswer(e.status, e.class, body)
	a.header.Set("Content-Type", "application/json")
	if e.www != "" {
		a.header.Set("WWW-Authenticate", e.www)
	}
	a.code = e.label
	return a
}

// oauthDenied is the resource server's 401 for a token it refuses; hint
// says why, in the server's words.
func oauthDenied(hint string) *oauthErr {
	return &oauthErr{status: http.StatusUnauthorized, class: "auth", label: "access_denied",
		msg: "The resource owner or authorization server denied the request.", hint: hint}
}

// oauthInvalidRequest is the token endpoint's 400 for a missing parameter.
func oauthInvalidRequest(param string) *oauthErr {
	return &oauthErr{status: http.StatusBadRequest, class: "parameter", label: "invalid_request",
		msg:  "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
		hint: "Check the `" + param + "` parameter"}
}
