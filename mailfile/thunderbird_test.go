package mailfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// writeFiles creates files (with their directories) under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestThunderbirdProfilesAndLocalFolders(t *testing.T) {
	home := t.TempDir()
	const mbox = "From - Mon Jan  1 10:00:00 2024\nSubject: x\n\nhi\n"
	writeFiles(t, home, map[string]string{
		// A Snap install whose default comes from the [Install] section.
		"snap/thunderbird/common/.thunderbird/profiles.ini": "[Profile1]\nName=old\nIsRelative=1\nPath=old.default\n\n" +
			"[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\n\n[Install4F96D1932A9F858E]\nDefault=abcd.default-release\nLocked=1\n",
		"snap/thunderbird/common/.thunderbird/old.default/prefs.js":                                          "",
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/Inbox":                 mbox,
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/Inbox.msf":             "// <!-- <mdb:mork:z v=\"1.4\"/> -->",
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/Trash":                 "",
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/msgFilterRules.dat":    "version=\"9\"\n",
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/filterlog.html":        "<html>",
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/Archives":              mbox,
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/Archives.sbd/2024":     mbox,
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/Archives.sbd/2024.msf": "",
		"snap/thunderbird/common/.thunderbird/abcd.default-release/Mail/Local Folders/Archives.sbd/notes":    "not mail\n",
		// A profile directory that the ini names but that is gone.
		".thunderbird/profiles.ini": "[Profile0]\nName=gone\nIsRelative=1\nPath=gone\nDefault=1\n",
	})
	ps, err := ThunderbirdProfiles("linux", home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Name != "default-release" || !ps[0].Default || ps[1].Name != "old" {
		t.Fatalf("profiles %+v", ps)
	}
	fs, err := MboxFolders(ps[0].LocalFolders())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fs {
		names = append(names, f.Name())
	}
	if want := []string{"Archives", "Archives/2024", "Inbox", "Trash"}; !slices.Equal(names, want) {
		t.Fatalf("folders %q, want %q", names, want)
	}
}

func TestThunderbirdRoots(t *testing.T) {
	env := func(k string) string {
		if k == "APPDATA" {
			return `C:\Users\u\AppData\Roaming`
		}
		return ""
	}
	if r := ThunderbirdRoots("windows", `C:\Users\u`, env); r[0] != filepath.Join(`C:\Users\u\AppData\Roaming`, "Thunderbird") {
		t.Fatalf("windows roots %q", r)
	}
	if r := ThunderbirdRoots("darwin", "/Users/u", nil); r[0] != filepath.Join("/Users/u", "Library", "Thunderbird") {
		t.Fatalf("darwin roots %q", r)
	}
	r := ThunderbirdRoots("linux", "/home/u", nil)
	for _, want := range []string{".thunderbird", ".mozilla-thunderbird", "snap/thunderbird/common/.thunderbird", ".var/app/org.mozilla.Thunderbird/.thunderbird"} {
		if !slices.Contains(r, filepath.Join("/home/u", filepath.FromSlash(want))) {
			t.Errorf("linux roots lack %s: %q", want, r)
		}
	}
}
