package ui

import (
	"fmt"
	"slices"
	"testing"

	"postbode/localcache"
)

func TestCourierNamespacePrefixIsNotShown(t *testing.T) {
	folder := func(id int64, name, role string) localcache.Folder {
		return localcache.Folder{ID: id, Account: "c", Name: name, Delim: ".", Role: role}
	}
	show := func(fs []localcache.Folder) []string {
		var out []string
		for _, e := range buildEntries([]string{"c"}, fs) {
			if e.kind == entryFolder {
				out = append(out, fmt.Sprintf("%s/%d", e.name, e.depth))
			}
		}
		return out
	}
	courier := []localcache.Folder{
		folder(1, "INBOX", localcache.RoleInbox), folder(2, "INBOX.Sent", localcache.RoleSent),
		folder(3, "INBOX.Projects", ""), folder(4, "INBOX.Projects.2025", ""), folder(5, "INBOX.Archief", ""),
	}
	if got, want := show(courier), []string{"Inbox/0", "Sent/0", "Archief/0", "Projects/0", "2025/1"}; !slices.Equal(got, want) {
		t.Fatalf("Courier folders shown as %v, want %v", got, want)
	}
	// A server without the prefix: a real subfolder of the inbox stays one.
	dovecot := []localcache.Folder{
		folder(1, "INBOX", localcache.RoleInbox), folder(2, "Sent", localcache.RoleSent),
		folder(3, "INBOX.Sub", ""),
	}
	if got, want := show(dovecot), []string{"Inbox/0", "Sent/0", "Sub/1"}; !slices.Equal(got, want) {
		t.Fatalf("Dovecot folders shown as %v, want %v", got, want)
	}
}
