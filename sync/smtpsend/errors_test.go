package smtpsend

import (
	"context"
	"strings"
	"testing"
	"time"

	"postbode/localcache"
	"postbode/mailfmt"
	"postbode/types"
)

// TestSendErrorMapping checks how real Postfix refusals, and a server that is not there, turn into
// problems a user can act on.
func TestSendErrorMapping(t *testing.T) {
	d, p := servers(t)
	alice := imapAccount(d, p, "alice")
	build := func(to, text string) []byte {
		dr := draftTo(to, "errors")
		dr.From = alice.Identity()
		dr.Text = text
		raw, _, err := mailfmt.Build(dr)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	small := build("bob@mail.test", "hi")
	big := build("bob@mail.test", strings.Repeat("All work and no play makes Jack a dull boy.\n", 300<<10/44))
	if len(big) <= sizeLimit {
		t.Fatalf("big message is only %d bytes", len(big))
	}
	down := alice
	down.Outgoing.Port = closedPort(t)
	startTLS := alice
	startTLS.Outgoing.Port = p.SubmissionPort
	startTLS.Outgoing.Security = types.SecurityStartTLS

	cases := []struct {
		name      string
		acc       types.Account
		password  string
		rcpt      string
		raw       []byte
		problem   types.Problem
		permanent bool
		detail    string
	}{
		{"wrong password", alice, "not-alices-password", "bob@mail.test", small, types.ProblemAuth, true, "535"},
		{"wrong password over STARTTLS", startTLS, "not-alices-password", "bob@mail.test", small, types.ProblemAuth, true, "535"},
		{"unknown recipient", alice, d.Password("alice"), "unknown@mail.test", small, types.ProblemRecipient, true, "unknown@mail.test: 550"},
		{"message too large", alice, d.Password("alice"), "bob@mail.test", big, types.ProblemTooLarge, true, "552"},
		{"nothing listening", down, d.Password("alice"), "bob@mail.test", small, types.ProblemUnreachable, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := Send(ctx, tc.acc, tc.password, "alice@mail.test", []string{tc.rcpt}, tc.raw)
			se := sendErr(t, err)
			if se.Kind != tc.problem || se.Permanent != tc.permanent || !strings.Contains(se.Detail, tc.detail) {
				t.Fatalf("got problem %q, permanent %v, detail %q (%v); want %q, %v, %q",
					se.Kind, se.Permanent, se.Detail, err, tc.problem, tc.permanent, tc.detail)
			}
			if strings.Contains(err.Error(), tc.password) {
				t.Error("the error text holds the password")
			}
		})
	}

	t.Run("connection test", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := Test(ctx, startTLS, d.Password("alice")); err != nil {
			t.Errorf("test with the right password: %v", err)
		}
		if se := sendErr(t, Test(ctx, alice, "nope")); se.Kind != types.ProblemAuth {
			t.Errorf("test with a wrong password: %v", se)
		}
	})

	// Through the outbox: a permanent refusal is held with its reason and never retried.
	t.Run("outbox holds a permanent refusal", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r := newRig(t, map[string]string{"alice": "not-alices-password"}, alice)
		it := r.heldAfterFailure(t, ctx, "refused")
		if it.State != localcache.OutboxFailed || it.Attempts != 1 || !strings.Contains(it.LastError, problemText[types.ProblemAuth]) {
			t.Fatalf("item: state %q, attempts %d, error %q", it.State, it.Attempts, it.LastError)
		}
	})
}
