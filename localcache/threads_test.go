package localcache

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// conversationFixture stores a conversation of 12 messages, 8 in the Inbox and 4 replies in Sent,
// in an awkward order (Sent first, the Inbox newest first) and with the header gaps real mail
// has: one reply without In-Reply-To, one with In-Reply-To alone naming a middle message, one with
// neither (found by its subject). Beside it: another thread, a copy of one message in the Archive
// and one in the Trash, and an unrelated message whose subject is a prefix of the other's.
func conversationFixture(t *testing.T, c *Cache) (inbox, sent Folder, plans []string) {
	t.Helper()
	ctx := context.Background()
	inbox = mustFolder(t, c, "a", "INBOX", RoleInbox)
	sent = mustFolder(t, c, "a", "Sent", RoleSent)
	archive := mustFolder(t, c, "a", "Archive", RoleArchive)
	trash := mustFolder(t, c, "a", "Trash", RoleTrash)
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	type spec struct {
		id, irt, refs, subject string
		folder                 Folder
		seen                   bool
	}
	specs := []spec{
		{"a1@x", "", "", "Plans for Friday", inbox, true},
		{"r1@me", "a1@x", "a1@x", "Re: Plans for Friday", sent, true},
		{"a2@x", "r1@me", "a1@x r1@me", "Re: Plans for Friday", inbox, true},
		{"b1@y", "", "a1@x r1@me", "Re: Plans for Friday", inbox, false}, // no In-Reply-To
		{"r2@me", "a2@x", "a1@x r1@me a2@x", "Re: Plans for Friday", sent, true},
		{"a3@x", "r2@me", "", "Re: Plans for Friday", inbox, true},         // In-Reply-To alone, a middle message
		{"c1@z", "", "", "RE: [team] Re: plans for  Friday", inbox, false}, // neither: by subject
		{"r3@me", "c1@z", "a1@x c1@z", "Re: Plans for Friday", sent, true},
		{"a4@x", "r3@me", "a1@x r3@me", "Re: Plans for Friday", inbox, true},
		{"b2@y", "a4@x", "a1@x r3@me a4@x", "Re: Plans for Friday", inbox, true},
		{"r4@me", "b2@y", "a1@x b2@y", "Re: Plans for Friday", sent, true},
		{"a5@x", "r4@me", "a1@x r4@me", "Aw: Plans for Friday", inbox, false},
	}
	msg := func(s spec, i int, f Folder) Message {
		m := Message{Account: "a", FolderID: f.ID, UID: uint32(100*int(f.ID) + i + 1), MessageID: s.id, InReplyTo: s.irt,
			References: s.refs, Subject: s.subject, FromAddr: "p@example.org", Date: start.Add(time.Duration(i) * time.Hour)}
		if s.seen {
			m.Flags = FlagSeen
		}
		// What mailfmt computes: the first reference, else the parent, else the message itself.
		m.ThreadKey = firstOf(append(strings.Fields(s.refs), s.irt, s.id)...)
		return m
	}
	var sentMsgs, inboxMsgs []Message
	for i, s := range specs {
		plans = append(plans, s.id)
		if s.folder == sent {
			sentMsgs = append(sentMsgs, msg(s, i, sent))
		} else {
			inboxMsgs = append(inboxMsgs, msg(s, i, inbox))
		}
	}
	slices.Reverse(inboxMsgs)
	others := []Message{
		msg(spec{id: "l1@x", subject: "Lunch"}, 20, inbox),
		msg(spec{id: "l2@x", irt: "l1@x", refs: "l1@x", subject: "Re: Lunch"}, 21, inbox),
		msg(spec{id: "p9@x", subject: "Plans", seen: true}, 22, inbox),
		msg(spec{id: "a2@x", irt: "r1@me", refs: "a1@x r1@me", subject: "Re: Plans for Friday", seen: true}, 2, archive),
		msg(spec{id: "t1@x", irt: "a5@x", refs: "a1@x a5@x", subject: "Re: Plans for Friday"}, 23, trash),
	}
	for _, batch := range [][]Message{sentMsgs, inboxMsgs, others} {
		if _, err := c.AddMessages(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	return inbox, sent, plans
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func TestConversationAcrossInboxAndSentGroupsTwelveMessages(t *testing.T) {
	dir := t.TempDir()
	c := openIn(t, dir)
	ctx := context.Background()
	inbox, sent, plans := conversationFixture(t, c)

	check := func(c *Cache, when string) {
		t.Helper()
		convs, err := c.ConversationPage(ctx, inbox.ID, Sort{}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, cv := range convs {
			got = append(got, fmt.Sprintf("%s %d/%d", cv.Message.MessageID, cv.Count, cv.Unread))
		}
		// Newest first by each conversation's newest message in the Inbox; the Plans conversation
		// counts its 12 messages (the Archive copy once, the Trash reply not), 3 of them unread.
		want := []string{"p9@x 1/0", "l2@x 2/2", "a5@x 12/3"}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: conversations = %v, want %v", when, got, want)
		}
		plansConv := convs[2]
		if len(plansConv.InFolder) != 8 || !slices.Contains(plansConv.InFolder, plansConv.Message.ID) {
			t.Errorf("%s: in the Inbox %v, want 8 ids with %d", when, plansConv.InFolder, plansConv.Message.ID)
		}
		if want := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC); !plansConv.Newest.Equal(want) {
			t.Errorf("%s: newest %v, want %v", when, plansConv.Newest, want)
		}
		members, err := c.ConversationMembers(ctx, "a", inbox.ID, plansConv.Message.ThreadKey)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		inSent := 0
		for _, m := range members {
			ids = append(ids, m.MessageID)
			if m.FolderID == sent.ID {
				inSent++
			}
			if m.MessageID == "a2@x" && m.FolderID != inbox.ID {
				t.Errorf("%s: the copy of a2 listed is the Archive's, not the Inbox's", when)
			}
		}
		slices.Reverse(ids)
		if !slices.Equal(ids, plans) || inSent != 4 {
			t.Errorf("%s: members %v (%d in Sent), want %v (4 in Sent)", when, ids, inSent, plans)
		}
		// Sent lists the same conversation once.
		sconvs, err := c.ConversationPage(ctx, sent.ID, Sort{}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(sconvs) != 1 || sconvs[0].Count != 12 || len(sconvs[0].InFolder) != 4 || sconvs[0].Message.MessageID != "r4@me" {
			t.Errorf("%s: Sent conversations %+v", when, sconvs)
		}
	}
	check(c, "stored")

	// Migration 4 recomputes every key once; asked again, it gives the same threads.
	if _, err := c.index.ExecContext(ctx, `UPDATE messages SET thread_key = 'stale' || id, base_subject = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.index.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('rethread', '1')`); err != nil {
		t.Fatal(err)
	}
	c = reopen(t, c, dir)
	check(c, "rethreaded")
}

func TestBaseSubject(t *testing.T) {
	for in, want := range map[string]struct {
		base  string
		reply bool
	}{
		"Plans":                    {"plans", false},
		"Re: Plans":                {"plans", true},
		"RE: Fwd: AW:  plans  now": {"plans now", true},
		"[team] Re[2]: Plans":      {"plans", true},
		"Re: [team] Plans":         {"plans", true},
		"Antw: Réunion":            {"réunion", true},
		"Recipe: soup":             {"recipe: soup", false},
		"":                         {"", false},
	} {
		base, reply := baseSubject(in)
		if base != want.base || reply != want.reply {
			t.Errorf("baseSubject(%q) = %q, %v; want %q, %v", in, base, reply, want.base, want.reply)
		}
	}
}

func TestConversationPagingMatchesMarks(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	f := mustFolder(t, c, "a", "INBOX", RoleInbox)
	msgs := genMessages("a", f.ID, 500, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	threadEvery(msgs, 7)
	if _, err := c.AddMessages(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Sort{{}, {Ascending: true}, DefaultSort(SortSender), DefaultSort(SortUnread)} {
		marks, total, err := c.ConversationMarks(ctx, f.ID, s, 9)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		var cur *Cursor
		for p := 0; ; p++ {
			page, err := c.ConversationPage(ctx, f.ID, s, cur, 9)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, cv := range page {
				if seen[cv.Message.ThreadKey] {
					t.Fatalf("%v: conversation %s twice", s, cv.Message.ThreadKey)
				}
				seen[cv.Message.ThreadKey] = true
			}
			cur = s.CursorOf(page[len(page)-1].Message)
			if len(page) == 9 && (p >= len(marks) || *cur != marks[p]) {
				t.Fatalf("%v: page %d ends at %+v, mark %v", s, p, cur, marks[min(p, len(marks)-1)])
			}
		}
		if want := (500 + 6) / 7; len(seen) != want || total != want {
			t.Errorf("%v: %d conversations, %d counted, want %d", s, len(seen), total, want)
		}
	}
}

// threadEvery makes runs of n consecutive messages one thread each, replies naming the first.
func threadEvery(msgs []Message, n int) {
	for i := range msgs {
		root := msgs[i-i%n].MessageID
		msgs[i].ThreadKey = root
		if i%n != 0 {
			msgs[i].References, msgs[i].InReplyTo = root, msgs[i-1].MessageID
		}
	}
}

func TestThreadsStayInTheirAccount(t *testing.T) {
	dir := t.TempDir()
	c := openIn(t, dir)
	ctx := context.Background()
	a := mustFolder(t, c, "a", "INBOX", RoleInbox)
	b := mustFolder(t, c, "b", "INBOX", RoleInbox)
	at := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	for _, m := range []Message{
		{Account: "b", FolderID: b.ID, UID: 1, MessageID: "x2@x", InReplyTo: "x1@x", References: "x1@x", ThreadKey: "x1@x", Subject: "Re: X", Date: at.Add(time.Hour)},
		{Account: "a", FolderID: a.ID, UID: 1, MessageID: "x1@x", ThreadKey: "x1@x", Subject: "X", Date: at},
		{Account: "a", FolderID: a.ID, UID: 2, MessageID: "x3@x", Subject: "Re: X", Date: at.Add(2 * time.Hour)}, // by subject
	} {
		if _, err := c.AddMessages(ctx, []Message{m}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(c *Cache, when string) {
		t.Helper()
		for _, f := range []struct {
			folder Folder
			want   int
		}{{a, 2}, {b, 1}} {
			convs, err := c.ConversationPage(ctx, f.folder.ID, Sort{}, nil, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(convs) != 1 || convs[0].Count != f.want {
				t.Errorf("%s: account %s: %+v; want 1 conversation of %d", when, f.folder.Account, convs, f.want)
			}
		}
	}
	check(c, "stored")
	if _, err := c.index.ExecContext(ctx, `UPDATE messages SET thread_key = 'stale' || id, base_subject = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.index.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES ('rethread', '1')`); err != nil {
		t.Fatal(err)
	}
	c = reopen(t, c, dir)
	check(c, "rethreaded")
}
