package dialect

import "github.com/crmguard/crmguard/internal/fault"

// item is the outcome of one record or subrequest of a batch or composite
// call.
type item struct {
	failed bool
	// follower marks a failure caused only by another item's failure: a
	// subrequest halted or rolled back because a sibling failed
	// (Salesforce PROCESSING_HALTED, ALL_OR_NONE_OPERATION_ROLLED_BACK).
	// Followers count as failed but do not choose the class.
	follower    bool
	class       fault.Class
	code, msg   string
	transient   bool
	remediation string
}

// aggregate turns the outcomes of a batch into one verdict. It reports
// false when items holds no outcome at all, so the caller can fall back.
//
// No failure gives ok. When every item failed, Partial is false; otherwise
// Partial is true. The class is the most frequent class among the failed
// items that are not followers (a tie goes to the class seen first), or
// among all failed items when every failure is a follower. Code and Message
// come from the first such failed item. Transient is set only when every
// failure that chose the class is transient, so a retry can fix the whole
// batch.
func aggregate(items []item) (Verdict, bool) {
	if len(items) == 0 {
		return Verdict{}, false
	}
	failed, primary := 0, 0
	for _, it := range items {
		if it.failed {
			failed++
			if !it.follower {
				primary++
			}
		}
	}
	if failed == 0 {
		return Verdict{Class: fault.OK}, true
	}
	counts := make(map[fault.Class]int, 4)
	var order []fault.Class
	var first *item
	for i := range items {
		it := &items[i]
		if !it.failed || (primary > 0 && it.follower) {
			continue
		}
		if first == nil {
			first = it
		}
		if counts[it.class] == 0 {
			order = append(order, it.class)
		}
		counts[it.class]++
	}
	best := order[0]
	for _, c := range order[1:] {
		if counts[c] > counts[best] {
			best = c
		}
	}
	v := Verdict{
		Class:     best,
		Code:      first.code,
		Message:   first.msg,
		Partial:   failed < len(items),
		Transient: true,
	}
	for i := range items {
		it := &items[i]
		if !it.failed || (primary > 0 && it.follower) || it.class != best {
			continue
		}
		if !it.transient {
			v.Transient = false
		}
		if v.Remediation == "" {
			v.Remediation = it.remediation
		}
	}
	return v, true
}

// fromItem is the verdict of a single failed item.
func fromItem(it item) Verdict {
	return Verdict{Class: it.class, Code: it.code, Message: it.msg, Transient: it.transient, Remediation: it.remediation}
}
