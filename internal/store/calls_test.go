package store

import (
	"strings"
	"testing"

	"github.com/crmguard/crmguard/internal/call"
)

// TestCallColumns keeps the column list, its count and callArgs in step;
// a mismatch would otherwise show only as a driver error at run time.
func TestCallColumns(t *testing.T) {
	if n := len(strings.Split(callInsertColumns, ",")); n != numCallInsertColumns {
		t.Errorf("callInsertColumns has %d columns; numCallInsertColumns = %d", n, numCallInsertColumns)
	}
	if n := len(callArgs(&call.Call{}, "")); n != numCallInsertColumns {
		t.Errorf("callArgs gives %d values; numCallInsertColumns = %d", n, numCallInsertColumns)
	}
}
