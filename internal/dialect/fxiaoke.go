package dialect

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/crmguard/crmguard/internal/fault"
)

// Fxiaoke reads the 纷享销客 (fxiaoke) Open API, whose every answer carries
// errorCode (an integer, 0 for success) and errorMessage, inside HTTP 200.
type Fxiaoke struct{}

var _ Dialect = Fxiaoke{}

// Name returns "fxiaoke".
func (Fxiaoke) Name() string { return "fxiaoke" }

// Inspect reads every error status, and every 2xx answer that is JSON or
// does not say what it is, because only errorCode tells success from
// failure. File downloads and other typed bodies stay unread.
func (Fxiaoke) Inspect(method, path string, status int, h http.Header) bool {
	if hasErrorBody(method, status) {
		return true
	}
	if !is2xxWithBody(method, status) {
		return false
	}
	ct := h.Get("Content-Type")
	return ct == "" || strings.Contains(ct, "json")
}

// Version returns the path's version, such as v2 for /cgi/crm/v2/… or V2
// for /cgi/corpAccessToken/get/V2.
func (Fxiaoke) Version(path string) string { return PathVersion(path) }

type fxBody struct {
	ErrorCode    json.RawMessage `json:"errorCode"`
	ErrorMessage string          `json:"errorMessage"`
}

// Classify reads errorCode and errorMessage.
func (Fxiaoke) Classify(r *Response) Verdict {
	if r == nil {
		return Verdict{Class: fault.Unknown}
	}
	read := func(f *fxBody) (Verdict, bool) {
		code := scalar(f.ErrorCode)
		return fxVerdict(code, f.ErrorMessage, r.Status), code != ""
	}
	sniff := func(b []byte) (Verdict, bool) {
		code := sniffValue(b, "errorCode")
		return fxVerdict(code, sniffValue(b, "errorMessage"), r.Status), code != ""
	}
	if v, ok := readObject(trimSpace(r.Body), read, sniff); ok {
		return v
	}
	return statusVerdict(r.Status)
}

// fxVerdict classifies an errorCode. 20005 (appAccessToken) and 20016
// (corpAccessToken) "不存在或者已经过期" (missing or expired) are auth, as
// the official demo resets its tokens on them. fxiaoke publishes no other
// code list, so other codes go by the message's key words and are unknown
// when none fits.
func fxVerdict(code, msg string, status int) Verdict {
	n, err := strconv.ParseInt(code, 10, 64)
	if err == nil && n == 0 {
		return statusVerdict(status)
	}
	v := Verdict{Code: code, Message: msg}
	switch {
	case err == nil && (n == 20005 || n == 20016):
		v.Class = fault.Auth
		v.Remediation = "The fxiaoke access token is missing or expired: fetch a new corpAccessToken (POST /cgi/corpAccessToken/get/V2) before expiresIn runs out, and retry."
	default:
		c, ok := fxMessage(msg)
		if !ok && status >= 300 {
			c, ok = ByStatus(status), true
		}
		if !ok {
			c = fault.Unknown
		}
		v.Class = c
	}
	return v
}

// fxMessage classifies an errorMessage by Chinese key words. It is a
// heuristic, not a vendor table: 过期 expired, 权限 permission, 频繁
// too frequent, 限流 throttled, 上限 upper limit, 超时 timed out, 重复
// duplicate, 不存在 does not exist, 参数 parameter, 不合法 illegal,
// 格式 format, 维护 maintenance, 系统 system (error).
func fxMessage(msg string) (fault.Class, bool) {
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(msg, w) {
				return true
			}
		}
		return false
	}
	switch {
	case msg == "":
		return fault.Unknown, false
	case has("过期", "token无效", "Token无效", "未登录", "未授权"):
		return fault.Auth, true
	case has("权限", "无权"):
		return fault.Permission, true
	case has("频繁", "限流", "上限", "次数超"):
		return fault.RateLimit, true
	case has("超时"):
		return fault.Timeout, true
	case has("重复", "已存在"):
		return fault.Conflict, true
	case has("格式"):
		return fault.DataFormat, true
	case has("参数", "不合法"):
		return fault.Parameter, true
	case has("不存在"):
		return fault.NotFound, true
	case has("维护"):
		return fault.Unavailable, true
	case has("系统错误", "系统异常", "服务异常", "内部错误"):
		return fault.Server, true
	}
	return messageKeywords(msg)
}
