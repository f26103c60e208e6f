package localcache

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A message held for undo send waits until its time, can be withdrawn until it is claimed, and
// cannot be withdrawn once claimed for sending.
func TestOutboxHoldWithdrawAndClaim(t *testing.T) {
	c := openTest(t)
	ctx := context.Background()
	hold := time.Now().Add(5 * time.Second).Truncate(time.Second)
	held, err := c.OutboxAdd(ctx, OutboxItem{Account: "a", MessageID: "<held@y>", Sender: "a@y",
		Recipients: []string{"b@y"}, Raw: []byte("held"), NextAttempt: hold})
	if err != nil {
		t.Fatal(err)
	}
	items, err := c.Outbox(ctx, "a")
	if err != nil || len(items) != 1 || !items[0].NextAttempt.Equal(hold) {
		t.Fatalf("outbox = %+v, %v; want one item due at %v", items, err, hold)
	}
	it, err := c.OutboxWithdraw(ctx, held)
	if err != nil || string(it.Raw) != "held" || it.Account != "a" || len(it.Recipients) != 1 {
		t.Fatalf("withdraw = %+v, %v", it, err)
	}
	if claimed, err := c.OutboxClaim(ctx, held); err != nil || claimed {
		t.Fatalf("claim of a withdrawn message = %v, %v", claimed, err)
	}
	if _, err := c.OutboxWithdraw(ctx, held); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second withdraw: %v, want ErrNotFound", err)
	}

	sending, err := c.OutboxAdd(ctx, OutboxItem{Account: "a", MessageID: "<sent@y>", Raw: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if claimed, err := c.OutboxClaim(ctx, sending); err != nil || !claimed {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	if claimed, _ := c.OutboxClaim(ctx, sending); claimed {
		t.Fatal("a message was claimed twice")
	}
	if _, err := c.OutboxWithdraw(ctx, sending); !errors.Is(err, ErrOutboxSending) {
		t.Fatalf("withdraw while sending: %v, want ErrOutboxSending", err)
	}
	if items, _ := c.Outbox(ctx, "a"); len(items) != 1 || items[0].State != OutboxSending {
		t.Fatalf("outbox = %+v", items)
	}

	failed, err := c.OutboxAdd(ctx, OutboxItem{Account: "a", MessageID: "<failed@y>", Raw: []byte("f")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.OutboxSetState(ctx, failed, OutboxFailed, time.Time{}, errors.New("550 no such user")); err != nil {
		t.Fatal(err)
	}
	if waiting, nFailed, err := c.OutboxCount(ctx); err != nil || waiting != 2 || nFailed != 1 {
		t.Fatalf("count = %d waiting, %d failed, %v; want 2, 1", waiting, nFailed, err)
	}
	if err := c.OutboxSendNow(ctx, sending); !errors.Is(err, ErrNotFound) {
		t.Fatalf("send now while sending: %v", err)
	}
	if err := c.OutboxSendNow(ctx, failed); err != nil {
		t.Fatal(err)
	}
	if items, _ := c.Outbox(ctx, "a"); items[1].State != OutboxQueued || !items[1].NextAttempt.Equal(time.Unix(0, 0)) {
		t.Fatalf("after send now: %+v", items[1])
	}
	if it, err := c.OutboxWithdraw(ctx, failed); err != nil || string(it.Raw) != "f" {
		t.Fatalf("withdraw of a failed message = %+v, %v", it, err)
	}
}
