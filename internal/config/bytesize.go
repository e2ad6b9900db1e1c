package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ByteSize is a size in bytes written as a whole number with an optional
// unit: B, KB, MB, GB for powers of 1000 and KiB, MiB, GiB for powers of
// 1024, in any letter case ("4KiB", "1MiB", "1000", "2MB").
type ByteSize int64

// Byte size units.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
)

// byteUnit is a unit ByteSize understands.
type byteUnit struct {
	name string
	size ByteSize
}

// byteUnits lists the units from largest, binary before decimal, so that
// String picks the shortest exact form.
func byteUnits() [7]byteUnit {
	return [...]byteUnit{{"GiB", GiB}, {"GB", 1e9}, {"MiB", MiB}, {"MB", 1e6}, {"KiB", KiB}, {"KB", 1e3}, {"B", 1}}
}

const byteSizeForm = `expected a whole number of bytes with an optional unit B, KB, MB, GB, KiB, MiB or GiB, e.g. "4KiB" or "1000"`

// ParseByteSize parses s as a ByteSize, rejecting negative values,
// fractions and unknown units.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty size; " + byteSizeForm)
	}
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("negative size %q: sizes must be 0 or more, e.g. \"4KiB\"", s)
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	digits, unit := t[:i], strings.TrimSpace(t[i:])
	if digits == "" || strings.HasPrefix(unit, ".") {
		return 0, fmt.Errorf("invalid size %q: %s", s, byteSizeForm)
	}
	mult := ByteSize(0)
	for _, u := range byteUnits() {
		if strings.EqualFold(unit, u.name) {
			mult = u.size
		}
	}
	if unit == "" {
		mult = 1
	}
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q; %s", s, unit, byteSizeForm)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/int64(mult) {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return ByteSize(n) * mult, nil
}

// String formats b with the largest unit that divides it exactly,
// preferring binary units: "4KiB", "1MiB", "2MB", "1500".
func (b ByteSize) String() string {
	if b <= 0 {
		return strconv.FormatInt(int64(b), 10)
	}
	for _, u := range byteUnits() {
		if u.size > 1 && b%u.size == 0 {
			return strconv.FormatInt(int64(b/u.size), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// UnmarshalYAML parses a scalar node with ParseByteSize; errors are *Error
// values carrying the node's line and column.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &Error{Line: n.Line, Column: n.Column, Err: fmt.Errorf(`expected a size such as "4KiB", found %s`, describeNode(n))}
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return &Error{Line: n.Line, Column: n.Column, Err: err}
	}
	*b = v
	return nil
}

// MarshalYAML writes b as its String form, which ParseByteSize reads back.
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }
