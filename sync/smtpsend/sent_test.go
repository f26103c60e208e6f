package smtpsend

import (
	"context"
	"errors"
	"testing"
	"time"

	"postbode/types"
)

// sentEvents drains the Manager's events and returns the Sent ones.
func sentEvents(r *rig) []types.Sent {
	var out []types.Sent
	for {
		select {
		case ev := <-r.m.Events():
			if e, ok := ev.(types.Sent); ok {
				out = append(out, e)
			}
		default:
			return out
		}
	}
}

// TestDeliveryIsReported: once a message has gone out and its Sent copy is filed, the outbox says
// so with a Sent event naming the subject (decoded); a failed attempt reports no such thing.
func TestDeliveryIsReported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	acc := offlineAccount(t)
	r := newRig(t, map[string]string{"alice": "pw"}, acc)

	fail := errors.New("connection reset")
	r.ob.send = func(context.Context, types.Account, string, string, []string, []byte) error { return fail }
	if err := r.m.Do(ctx, types.Send{Account: "alice", Draft: draftTo("bob@mail.test", "Lunch on Friday? ☕")}); err != nil {
		t.Fatal(err)
	}
	if err := r.ob.Flush(ctx); !errors.Is(err, fail) {
		t.Fatalf("flush: %v", err)
	}
	if got := sentEvents(r); len(got) != 0 {
		t.Fatalf("a failed attempt was reported as sent: %+v", got)
	}

	rec := &recorder{}
	r.ob.send = rec.send
	r.clock.Advance(time.Hour)
	if err := r.ob.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 1 || len(r.outbox(t, "alice")) != 0 {
		t.Fatalf("sent %d, outbox %+v", rec.count(), r.outbox(t, "alice"))
	}
	got := sentEvents(r)
	if len(got) != 1 || got[0] != (types.Sent{Account: "alice", Subject: "Lunch on Friday? ☕"}) {
		t.Fatalf("events after delivery: %+v", got)
	}
}
