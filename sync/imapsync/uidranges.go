package imapsync

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// maxFolderUIDs is the most messages one folder may claim to hold. Real folders stay far below it;
// the set is processed as ranges, so the limit bounds time (a claim of billions of UIDs would be
// walked batch by batch), not memory.
const maxFolderUIDs = 10_000_000

// uidRange is the UIDs start through stop, both included.
type uidRange struct{ start, stop uint32 }

// uidRanges is a set of UIDs as sorted, disjoint, non-adjacent ranges. Its size is that of the
// server's answer, never that of the numbers the answer claims.
type uidRanges []uidRange

// rangesOf turns a server's static UID set into uidRanges.
func rangesOf(set imap.UIDSet) (uidRanges, error) {
	if set.Dynamic() {
		return nil, fmt.Errorf("%w: dynamic UID set", errServerData)
	}
	rs := make([]uidRange, len(set))
	for i, r := range set {
		rs[i] = uidRange{uint32(r.Start), uint32(r.Stop)}
	}
	return normalizeUIDs(rs)
}

// normalizeUIDs sorts and merges ranges in any order, refusing UID 0 and reversed ranges.
func normalizeUIDs(rs []uidRange) (uidRanges, error) {
	for _, r := range rs {
		if r.start == 0 || r.stop < r.start {
			return nil, fmt.Errorf("%w: bad UID range %d:%d", errServerData, r.start, r.stop)
		}
	}
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b uidRange) int { return cmp.Compare(a.start, b.start) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && uint64(r.start) <= uint64(out[n-1].stop)+1 {
			out[n-1].stop = max(out[n-1].stop, r.stop)
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out), nil
}

// count is the number of UIDs in the set.
func (s uidRanges) count() uint64 {
	var n uint64
	for _, r := range s {
		n += uint64(r.stop-r.start) + 1
	}
	return n
}

// contains reports whether uid is in the set.
func (s uidRanges) contains(uid uint32) bool {
	i, found := slices.BinarySearchFunc(s, uid, func(r uidRange, u uint32) int {
		return cmp.Compare(r.start, u)
	})
	if found {
		return true
	}
	return i > 0 && uid <= s[i-1].stop
}

// last is the highest UID of the set, 0 for an empty one.
func (s uidRanges) last() uint32 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1].stop
}

// uidWalker hands out a set's UIDs newest first, a batch at a time, leaving out those skip names.
type uidWalker struct {
	set  uidRanges
	i    int    // range being walked, from the end; -1 when done
	next uint32 // next UID of range i to consider
	skip func(uint32) bool
}

func (s uidRanges) newestFirst(skip func(uint32) bool) *uidWalker {
	w := &uidWalker{set: s, i: len(s) - 1, skip: skip}
	if w.i >= 0 {
		w.next = s[w.i].stop
	}
	return w
}

// take returns up to n more UIDs, descending; an empty answer means the walk is done. The cost is
// n plus the skipped UIDs passed over.
func (w *uidWalker) take(n int) []uint32 {
	var out []uint32
	for len(out) < n && w.i >= 0 {
		u := w.next
		if !w.skip(u) {
			out = append(out, u)
		}
		if u == w.set[w.i].start {
			w.i--
			if w.i >= 0 {
				w.next = w.set[w.i].stop
			}
			continue
		}
		w.next = u - 1
	}
	return out
}
