package main

import (
	"bufio"
	"bytes"
	"context"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/BurntSushi/toml"
	"github.com/godbus/dbus/v5"
	"gopkg.in/yaml.v3"
)

// packageArtifact finds a `make package` artifact in dist/. Without one the test is skipped, unless
// POSTBODE_PACKAGE_TEST=1 (make package sets it), where a missing artifact fails.
func packageArtifact(t *testing.T, pattern string) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join("dist", pattern))
	if len(matches) == 0 {
		if os.Getenv("POSTBODE_PACKAGE_TEST") == "1" {
			t.Fatalf("no dist/%s: run make package", pattern)
		}
		t.Skipf("no dist/%s (make package builds it)", pattern)
	}
	slices.Sort(matches)
	return matches[len(matches)-1]
}

// packageTool is a program the package test needs; with POSTBODE_PACKAGE_TEST=1 it must be there.
func packageTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("POSTBODE_PACKAGE_TEST") == "1" || os.Getenv("CI") == "true" {
			t.Fatalf("%s is required (make package installs it): %v", name, err)
		}
		t.Skipf("%s not installed (make package installs it)", name)
	}
	return path
}

type fyneApp struct {
	Details struct {
		Icon, Name, ID, Version string
		Build                   int
	}
	LinuxAndBSD struct {
		GenericName, Comment, ExecParams string
		Categories, Keywords             []string
	}
	Migrations map[string]bool
}

func TestFyneAppMetadata(t *testing.T) {
	var meta fyneApp
	if _, err := toml.Decode(string(appTOML), &meta); err != nil {
		t.Fatal(err)
	}
	d, l := meta.Details, meta.LinuxAndBSD
	if d.Name != "Postbode" || d.ID != "nl.postbode.mail" || d.Version == "" || d.Build < 1 || d.Icon != "assets/icon.png" {
		t.Errorf("[Details] = %+v", d)
	}
	if _, err := os.Stat(d.Icon); err != nil {
		t.Errorf("icon: %v", err)
	}
	if !slices.Equal(l.Categories, []string{"Network", "Email"}) || l.GenericName == "" || l.Comment == "" || len(l.Keywords) == 0 {
		t.Errorf("[LinuxAndBSD] = %+v", l)
	}
	// A mailto: handler is started with the URL.
	if strings.TrimSpace(l.ExecParams) != "%U" {
		t.Errorf("ExecParams %q, want %%U", l.ExecParams)
	}
	if !meta.Migrations["fyneDo"] {
		t.Error("[Migrations] fyneDo is not set")
	}
	if appVersion() != d.Version {
		t.Errorf("postbode --version says %q, FyneApp.toml %q", appVersion(), d.Version)
	}
}

func TestReleaseWorkflow(t *testing.T) {
	data, err := os.ReadFile(".github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	// Every key the workflow uses is modelled, and unknown keys fail (a misspelt "runs_on" would
	// otherwise pass unnoticed).
	type step struct {
		Name  string            `yaml:"name"`
		Uses  string            `yaml:"uses"`
		Run   string            `yaml:"run"`
		Shell string            `yaml:"shell"`
		With  map[string]any    `yaml:"with"`
		Env   map[string]string `yaml:"env"`
	}
	var wf struct {
		Name string `yaml:"name"`
		On   struct {
			Push struct {
				Tags []string `yaml:"tags"`
			} `yaml:"push"`
		} `yaml:"on"`
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Jobs        map[string]struct {
			Name        string            `yaml:"name"`
			RunsOn      string            `yaml:"runs-on"`
			Needs       any               `yaml:"needs"`
			Permissions map[string]string `yaml:"permissions"`
			Steps       []step            `yaml:"steps"`
		} `yaml:"jobs"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&wf); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	if !slices.Contains(wf.On.Push.Tags, "v*") {
		t.Errorf("not run on version tags: %v", wf.On.Push.Tags)
	}
	want := map[string]struct{ name, runner, does string }{
		"macos":   {"macOS", "macos-", "--target darwin"},
		"linux":   {"Linux", "ubuntu-", "make package-linux"},
		"windows": {"Windows", "ubuntu-", "make package-windows"},
	}
	for id, w := range want {
		job, ok := wf.Jobs[id]
		if !ok {
			t.Errorf("no %s job", id)
			continue
		}
		var runs strings.Builder
		for _, s := range job.Steps {
			if s.Uses == "" && s.Run == "" {
				t.Errorf("%s: a step that does nothing: %+v", id, s)
			}
			runs.WriteString(s.Run)
		}
		if job.Name != w.name || !strings.HasPrefix(job.RunsOn, w.runner) || !strings.Contains(runs.String(), w.does) {
			t.Errorf("job %s: name %q on %q, want %q on %s* running %q", id, job.Name, job.RunsOn, w.name, w.runner, w.does)
		}
	}
	if !strings.Contains(string(data), "fyne@${FYNE_TOOLS}") || !strings.Contains(string(data), "FYNE_TOOLS: v1.7.4") {
		t.Error("the workflow does not use the pinned fyne packager")
	}
}

// runTool runs a command and returns its standard output; a failure fails the test with the output.
func runTool(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// The Linux package unpacks, installs with its own Makefile into a temporary prefix, has a valid
// .desktop file that makes Postbode the mailto: handler, and its binary starts.
func TestPackageLinux(t *testing.T) {
	pkg := packageArtifact(t, "Postbode-*-linux-amd64.tar.xz")
	validate := packageTool(t, "desktop-file-validate")
	packageTool(t, "make")

	unpacked := t.TempDir()
	runTool(t, "", nil, "tar", "-xJf", pkg, "-C", unpacked)
	root := filepath.Join(unpacked, "postbode")
	if _, err := os.Stat(filepath.Join(root, "Makefile")); err != nil {
		t.Fatalf("no Makefile in the package: %v", err)
	}
	prefix := t.TempDir()
	runTool(t, root, nil, "make", "install", "DESTDIR="+prefix, "PREFIX=/usr")

	desktop := filepath.Join(prefix, "usr/share/applications/nl.postbode.mail.desktop")
	runTool(t, "", nil, validate, desktop)
	entry, err := os.ReadFile(desktop)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"Name=Postbode", "Exec=postbode %U", "Icon=nl.postbode.mail",
		"Categories=Network;Email;", "MimeType=x-scheme-handler/mailto;", "GenericName=Mail Client"} {
		if !slices.Contains(strings.Split(string(entry), "\n"), line) {
			t.Errorf("the .desktop file lacks %q:\n%s", line, entry)
		}
	}
	if fi, err := os.Stat(filepath.Join(prefix, "usr/share/pixmaps/nl.postbode.mail.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("icon: %v", err)
	}
	bin := filepath.Join(prefix, "usr/bin/postbode")
	out := runTool(t, "", []string{"LC_ALL=C.UTF-8"}, bin, "--version")
	if want := "postbode " + appVersion() + "\n"; out != want {
		t.Errorf("packaged postbode --version = %q, want %q", out, want)
	}
}

// The Windows build is a 64-bit PE with the icon and version resources.
func TestPackageWindows(t *testing.T) {
	exe := packageArtifact(t, "postbode.exe")
	fileTool := packageTool(t, "file")
	if out := runTool(t, "", nil, fileTool, exe); !strings.Contains(out, "PE32+") || !strings.Contains(out, "x86-64") {
		t.Errorf("file says %q", out)
	}
	f, err := pe.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("machine %#x", f.Machine)
	}
	opt, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || opt.Subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("not a 64-bit GUI program: %T", f.OptionalHeader)
	}
	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		t.Fatal("no resources (icon, version) in the .exe")
	}
	data, err := rsrc.Data()
	if err != nil {
		t.Fatal(err)
	}
	// The version resource holds its strings in UTF-16.
	u16 := func(s string) []byte {
		var b []byte
		for _, r := range utf16.Encode([]rune(s)) {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	for _, s := range []string{"VS_VERSION_INFO", "ProductName", "Postbode", "ProductVersion", appVersion()} {
		if !bytes.Contains(data, u16(s)) {
			t.Errorf("the version resource lacks %q", s)
		}
	}
	// The root of the resource tree lists the resource types present (PE format, "The .rsrc
	// Section"): a 16-byte directory header, named entries, then 8-byte id entries.
	if len(data) < 16 {
		t.Fatal("resource section too short")
	}
	named, ids := int(binary.LittleEndian.Uint16(data[12:])), int(binary.LittleEndian.Uint16(data[14:]))
	types := map[uint32]bool{}
	for i := 0; i < ids; i++ {
		off := 16 + 8*(named+i)
		if off+8 > len(data) {
			t.Fatal("resource directory runs past the section")
		}
		types[binary.LittleEndian.Uint32(data[off:])] = true
	}
	const rtIcon, rtGroupIcon, rtVersion, rtManifest = 3, 14, 16, 24
	for _, rt := range []uint32{rtIcon, rtGroupIcon, rtVersion, rtManifest} {
		if !types[rt] {
			t.Errorf("no resource of type %d in the .exe (have %v)", rt, types)
		}
	}
}

// lockedBuffer collects a program's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeWatcher is the panel's side of the tray (org.kde.StatusNotifierWatcher): it records who
// registers a tray icon.
type fakeWatcher struct{ items chan string }

func (w *fakeWatcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	select {
	case w.items <- string(sender):
	default:
	}
	return nil
}

// startSessionBus runs a private D-Bus session bus with a tray watcher on it.
func startSessionBus(t *testing.T) (addr string, watcher *fakeWatcher) {
	t.Helper()
	daemon := needTool(t, "dbus-daemon")
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, daemon, "--session", "--nofork", "--nopidfile", "--print-address=1",
		"--address=unix:path="+filepath.Join(t.TempDir(), "bus"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	addr = strings.TrimSpace(line)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	watcher = &fakeWatcher{items: make(chan string, 1)}
	if err := conn.Export(watcher, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
	return addr, watcher
}

// trayLabels reads the tray menu a program exports (com.canonical.dbusmenu) as text.
func trayLabels(t *testing.T, addr, owner string) string {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	call := conn.Object(owner, "/StatusNotifierMenu").CallWithContext(ctx, "com.canonical.dbusmenu.GetLayout", 0,
		int32(0), int32(-1), []string{"label"})
	if call.Err != nil {
		t.Fatalf("read the tray menu: %v", call.Err)
	}
	return fmt.Sprint(call.Body...)
}

// The real program, twice on one profile: the second start hands its mailto: link to the open
// window (a composer appears there) and exits; `sync` refuses while the window runs. The first has
// a desktop session bus with a tray, shows its tray menu there, and quits cleanly.
func TestSecondStartRealWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary under Xvfb")
	}
	needTool(t, "xwininfo")
	display := startXvfb(t)
	bin := filepath.Join(t.TempDir(), "postbode")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	runtime, err := os.MkdirTemp("", "pbrt")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(runtime)
	profile := t.TempDir()
	bus, watcher := startSessionBus(t)
	env := append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8", "LC_ALL=en_US.UTF-8",
		"XDG_RUNTIME_DIR="+runtime, "POSTBODE_PROFILE=", "DBUS_SESSION_BUS_ADDRESS="+bus)

	first := exec.Command(bin, "--profile", profile)
	first.Env = env
	logs := &lockedBuffer{}
	first.Stdout, first.Stderr = logs, logs
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	defer first.Process.Kill()
	waitForWindow(t, display, "Postbode", 60*time.Second)
	var owner string
	select {
	case owner = <-watcher.items:
	case <-time.After(20 * time.Second):
		t.Fatalf("no tray icon was registered:\n%s", logs.String())
	}
	// The menu is sent again once the unread count is known: read it until it settles.
	labels := []string{"Postbode — No unread mail", "Get mail", "Write message", "Show Postbode", "Quit"}
	var menu string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		menu = trayLabels(t, bus, owner)
		complete := true
		for _, label := range labels {
			complete = complete && strings.Contains(menu, label)
		}
		if complete || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("tray menu: %s", menu)
	for _, label := range labels {
		if !strings.Contains(menu, label) {
			t.Errorf("the tray menu lacks %q: %s", label, menu)
		}
	}

	later := func(args ...string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--profile", profile}, args...)...)
		cmd.Env = env
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	code, out := later("mailto:jan@example.org?subject=Koffie%20om%20tien&body=Zullen%20we%3F")
	if code != 0 || !strings.Contains(out, "already open") {
		t.Fatalf("second start: exit %d\n%s", code, out)
	}
	waitForWindow(t, display, "Write: Koffie om tien", 20*time.Second)

	if code, out := later("sync", "--once"); code != 1 || !strings.Contains(out, "another Postbode is using this profile") {
		t.Errorf("sync beside the window: exit %d\n%s", code, out)
	}
	if code, out := later("folders"); code != 0 {
		t.Errorf("folders beside the window: exit %d\n%s", code, out)
	}
	select {
	case err := <-exited:
		t.Fatalf("the first window ended: %v\n%s", err, logs.String())
	default:
	}
	// Interrupted, it closes its window and tray and exits without a crash.
	first.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		if err != nil || strings.Contains(logs.String(), "panic:") {
			t.Fatalf("the first window did not exit cleanly: %v\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("the first window did not exit:\n%s", logs.String())
	}
}
