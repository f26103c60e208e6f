package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// A second start on the same profile hands its request to the running window and exits; `sync`
// refuses while the window runs; reading commands work alongside it.
func TestSecondStartHandsOverToTheWindow(t *testing.T) {
	rt, err := os.MkdirTemp("", "pbrt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rt) })
	t.Setenv("XDG_RUNTIME_DIR", rt)
	profile := t.TempDir()
	seedProfile(t, profile)

	started := make(chan struct{})
	got := make(chan string, 4)
	window := &App{
		Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{},
		// A window without Fyne: it reports what it is asked until the test ends it.
		GUI: func(ctx context.Context, env *Env) error {
			if env.Instance == nil {
				t.Error("the window runs without the instance socket")
				return nil
			}
			got <- "start " + env.Mailto
			close(started)
			for {
				select {
				case r := <-env.Instance.Requests():
					got <- r
				case <-ctx.Done():
					return nil
				}
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- window.Run(ctx, []string{"--profile", profile}) }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the first window did not start")
	}
	if s := <-got; s != "start " {
		t.Errorf("first start: %q", s)
	}

	second := func(args ...string) (int, string) {
		var errOut bytes.Buffer
		app := &App{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &errOut,
			GUI: func(context.Context, *Env) error {
				t.Error("a second window opened on the same profile")
				return nil
			}}
		code := app.Run(context.Background(), append([]string{"--profile", profile}, args...))
		return code, errOut.String()
	}
	expect := func(want string) {
		t.Helper()
		select {
		case s := <-got:
			if s != want {
				t.Errorf("the window was asked %q, want %q", s, want)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("the window was not asked %q", want)
		}
	}

	if code, errOut := second(); code != 0 || !strings.Contains(errOut, "already open") {
		t.Errorf("second plain start: %d %q", code, errOut)
	}
	expect("")
	link := "mailto:jan@mail.test?subject=Koffie%3F&body=Om%20tien%20uur"
	if code, errOut := second(link); code != 0 {
		t.Errorf("second start with a mailto: %d %q", code, errOut)
	}
	expect(link)
	if code, errOut := second("http://example.org/"); code != 2 {
		t.Errorf("a web URL is not a command: %d %q", code, errOut)
	}

	code, errOut := second("sync", "--once")
	if code != 1 || !strings.Contains(errOut, "another Postbode is using this profile") || !strings.Contains(errOut, "close the Postbode window") {
		t.Errorf("sync while the window runs: %d %q", code, errOut)
	}
	if code, out, errOut := run(t, profile, "", "ls", "INBOX"); code != 0 || !strings.Contains(out, "Vergadering dinsdag") {
		t.Errorf("ls while the window runs: %d %q %q", code, out, errOut)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("first window exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first window did not end")
	}
	// The window is gone: the next start is the window itself, with its mailto.
	ctx2, cancel2 := context.WithCancel(context.Background())
	window.GUI = func(ctx context.Context, env *Env) error {
		got <- "start " + env.Mailto
		cancel2()
		return nil
	}
	if code := window.Run(ctx2, []string{"--profile", profile, link}); code != 0 {
		t.Errorf("start after the window closed: %d", code)
	}
	expect("start " + link)
}
