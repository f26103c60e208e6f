package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool finds a program the smoke test needs; under CI a missing one is a failure, never a skip.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI (make deps installs it): %v", name, err)
		}
		t.Skipf("%s not installed (make deps installs it)", name)
	}
	return path
}

// startXvfb runs a private X server and returns its DISPLAY.
func startXvfb(t *testing.T) string {
	t.Helper()
	xvfb := needTool(t, "Xvfb")
	for n := 90 + os.Getpid()%50; n < 200; n++ {
		display := fmt.Sprintf(":%d", n)
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		cmd := exec.Command(xvfb, display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if exec.Command("xwininfo", "-root", "-display", display).Run() == nil {
				return display
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("Xvfb on %s did not come up", display)
	}
	t.Fatal("no free X display")
	return ""
}

// waitForWindow polls the X tree until a top-level window has the title.
func waitForWindow(t *testing.T, display, title string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("xwininfo", "-root", "-tree", "-display", display).Output()
		if bytes.Contains(out, []byte(`"`+title+`"`)) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no window %q appeared within %v", title, timeout)
}

// distinctColours counts colours in a sample of the image: a blank or single-colour frame has few.
func distinctColours(img image.Image) int {
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
		}
	}
	return len(seen)
}

// TestSmokeRealWindow starts the real binary on the demo under Xvfb, waits for its window and captures
// a screenshot that must not be blank.
func TestSmokeRealWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary under Xvfb")
	}
	needTool(t, "xwininfo")
	importTool := needTool(t, "import")
	display := startXvfb(t)

	bin := filepath.Join(t.TempDir(), "postbode")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	profile := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "--profile", profile, "demo")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8")
	var logs lockedBuffer // the app writes to it while the test reads it
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	waitForWindow(t, display, "Postbode", 60*time.Second)
	time.Sleep(4 * time.Second) // let the first sync fill the panes

	shot := filepath.Join(os.TempDir(), "postbode-smoke.png")
	if dir := os.Getenv("POSTBODE_SCREENSHOT_DIR"); dir != "" {
		shot = filepath.Join(dir, "smoke-main.png")
	}
	if out, err := exec.Command(importTool, "-display", display, "-window", "root", shot).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	if n := distinctColours(img); n < 20 {
		t.Fatalf("screenshot %s looks blank (%d colours); app output:\n%s", shot, n, logs.String())
	}
	if strings.Contains(logs.String(), "panic:") {
		t.Fatalf("the app panicked:\n%s", logs.String())
	}
	t.Logf("screenshot: %s", shot)
}
