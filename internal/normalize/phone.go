package normalize

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// compilePhone checks and compiles the region of a phone rule.
func (r *rule) compilePhone(cfg Rule) error {
	if cfg.Region == "" {
		return errors.New("region is missing; phone rules need the ISO 3166-1 alpha-2 code of the country whose numbers arrive without a +country code, such as CN, DE or US")
	}
	// phonenumbers knows regions in upper case only, and de can mean
	// nothing but DE.
	region := strings.ToUpper(cfg.Region)
	if !phonenumbers.GetSupportedRegions()[region] {
		return fmt.Errorf("region %q is not a region phonenumbers knows; use an ISO 3166-1 alpha-2 code such as CN, DE or US", cfg.Region)
	}
	r.region = region
	r.example = "+14155552671"
	if ex := phonenumbers.GetExampleNumber(region); ex != nil {
		r.example = phonenumbers.Format(ex, phonenumbers.E164)
	}
	r.expected = fmt.Sprintf("a phone number valid in %s, or any valid number with its +country code, written in E.164 such as %s", region, r.example)
	return nil
}

// phone normalises a phone number to E.164.
func (r *rule) phone(s string) (string, *reject) {
	num, err := phonenumbers.Parse(strings.TrimSpace(s), r.region)
	switch {
	case err != nil || !phonenumbers.IsValidNumber(num):
		return s, &reject{rule: r.as, expected: r.expected, why: fmt.Sprintf("is not a valid phone number in %s, nor one with a valid +country code; check the digits, or send the number with its country code, such as %s", r.region, r.example)}
	case num.GetExtension() != "":
		return s, &reject{rule: r.as, expected: r.expected, why: "has an extension, which E.164 cannot carry; send the extension in a field of its own"}
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}
