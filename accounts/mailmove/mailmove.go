// Package mailmove moves mail between the local cache and the files other programs use (mbox,
// Maildir, .eml, Thunderbird's Local Folders), with mailfile doing the formats.
//
// It sits beside the Manager rather than in it: an export only reads the cache (and asks the
// Manager's body fetch for what is not downloaded), and an import is a bulk local change that goes
// through the Manager's requests for its folders and through the cache's own batch writes for the
// messages, the same PutBodies-then-AddMessages order the POP3 download keeps.
package mailmove

import (
	"slices"
	"strings"

	"postbode/localcache"
	"postbode/mailfile"
)

// Progress is reported after each message (and at each new folder).
type Progress struct {
	Folder string `json:"folder"`
	// Done and Total count messages over the whole run (Total is known before the first message).
	Done  int   `json:"done"`
	Total int   `json:"total"`
	Bytes int64 `json:"bytes"`
}

// Summary is what a run did.
type Summary struct {
	Folders  int   `json:"folders"`
	Messages int   `json:"messages"` // exported or imported
	Bytes    int64 `json:"bytes"`
	// NotDownloaded counts messages an export skipped because their body is not on this computer.
	NotDownloaded int `json:"not_downloaded,omitempty"`
	// Duplicates counts messages an import skipped because the folder holds the same bytes.
	Duplicates int `json:"duplicates,omitempty"`
	// Deleted counts messages an import skipped because they were marked for removal (Maildir T,
	// Thunderbird's deleted messages not yet compacted away).
	Deleted  int `json:"deleted,omitempty"`
	TooLarge int `json:"too_large,omitempty"`
}

// forwardedKeyword is the IMAP keyword for a forwarded message (Maildir "P", Thunderbird's flag).
const forwardedKeyword = "$Forwarded"

func toCacheFlags(f mailfile.Flags, keywords []string) (localcache.Flags, string) {
	var out localcache.Flags
	for _, p := range []struct {
		from mailfile.Flags
		to   localcache.Flags
	}{
		{mailfile.Seen, localcache.FlagSeen}, {mailfile.Answered, localcache.FlagAnswered},
		{mailfile.Flagged, localcache.FlagFlagged}, {mailfile.Draft, localcache.FlagDraft},
	} {
		if f.Has(p.from) {
			out |= p.to
		}
	}
	kw := map[string]bool{}
	for _, k := range keywords {
		kw[k] = true
	}
	if f.Has(mailfile.Forwarded) {
		kw[forwardedKeyword] = true
	}
	return out, joinKeywords(kw)
}

func fromCacheFlags(f localcache.Flags, keywords string) mailfile.Flags {
	var out mailfile.Flags
	for _, p := range []struct {
		from localcache.Flags
		to   mailfile.Flags
	}{
		{localcache.FlagSeen, mailfile.Seen}, {localcache.FlagAnswered, mailfile.Answered},
		{localcache.FlagFlagged, mailfile.Flagged}, {localcache.FlagDraft, mailfile.Draft},
		{localcache.FlagDeleted, mailfile.Trashed},
	} {
		if f.Has(p.from) {
			out |= p.to
		}
	}
	for _, k := range strings.Fields(keywords) {
		if strings.EqualFold(k, forwardedKeyword) {
			out |= mailfile.Forwarded
		}
	}
	return out
}

// joinKeywords gives the cache's form: sorted, space-separated (as the IMAP engine stores them).
func joinKeywords(kw map[string]bool) string {
	out := make([]string, 0, len(kw))
	for k := range kw {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
