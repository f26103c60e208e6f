package mailfile

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ThunderbirdProfile is one profile listed in a profiles.ini.
type ThunderbirdProfile struct {
	Name    string
	Dir     string // absolute
	Default bool
}

// LocalFolders is the profile's "Local Folders" directory (the default place; a profile whose
// Local Folders were moved elsewhere in its settings is not followed).
func (p ThunderbirdProfile) LocalFolders() string {
	return filepath.Join(p.Dir, "Mail", "Local Folders")
}

// ThunderbirdRoots are the directories that may hold a profiles.ini, for the given system, home
// directory and environment (getenv may be nil).
func ThunderbirdRoots(goos, home string, getenv func(string) string) []string {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	switch goos {
	case "windows":
		var roots []string
		if appData := getenv("APPDATA"); appData != "" {
			roots = append(roots, filepath.Join(appData, "Thunderbird"))
		}
		return append(roots, filepath.Join(home, "AppData", "Roaming", "Thunderbird"))
	case "darwin":
		return []string{filepath.Join(home, "Library", "Thunderbird")}
	default:
		return []string{
			filepath.Join(home, ".thunderbird"),
			filepath.Join(home, ".mozilla-thunderbird"),
			filepath.Join(home, "snap", "thunderbird", "common", ".thunderbird"),
			filepath.Join(home, ".var", "app", "org.mozilla.Thunderbird", ".thunderbird"),
			filepath.Join(home, ".var", "app", "net.thunderbird.Thunderbird", ".thunderbird"),
		}
	}
}

// ThunderbirdProfiles reads the profiles.ini of every root that has one and returns the profiles
// whose directory exists, the default ones first.
func ThunderbirdProfiles(goos, home string, getenv func(string) string) ([]ThunderbirdProfile, error) {
	var out []ThunderbirdProfile
	seen := map[string]bool{}
	for _, root := range ThunderbirdRoots(goos, home, getenv) {
		ps, err := readProfilesINI(root)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if fi, err := os.Stat(p.Dir); err != nil || !fi.IsDir() || seen[p.Dir] {
				continue
			}
			seen[p.Dir] = true
			out = append(out, p)
		}
	}
	var defaults, others []ThunderbirdProfile
	for _, p := range out {
		if p.Default {
			defaults = append(defaults, p)
		} else {
			others = append(others, p)
		}
	}
	return append(defaults, others...), nil
}

// readProfilesINI parses root/profiles.ini: [ProfileN] sections with Name, Path, IsRelative and
// Default, and [Install...] sections whose Default names the profile an installation uses (what
// newer Thunderbird versions go by).
func readProfilesINI(root string) ([]ThunderbirdProfile, error) {
	f, err := os.Open(filepath.Join(root, "profiles.ini"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type section struct {
		name string
		kv   map[string]string
	}
	var sections []section
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == ';' || line[0] == '#':
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			sections = append(sections, section{name: line[1 : len(line)-1], kv: map[string]string{}})
		case len(sections) > 0:
			if k, v, ok := strings.Cut(line, "="); ok {
				sections[len(sections)-1].kv[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("thunderbird %s: %w", root, err)
	}
	installDefault := map[string]bool{}
	for _, s := range sections {
		if strings.HasPrefix(s.name, "Install") && s.kv["Default"] != "" {
			installDefault[s.kv["Default"]] = true
		}
	}
	var out []ThunderbirdProfile
	for _, s := range sections {
		if !strings.HasPrefix(s.name, "Profile") || s.kv["Path"] == "" {
			continue
		}
		dir := filepath.FromSlash(s.kv["Path"])
		if s.kv["IsRelative"] != "0" {
			dir = filepath.Join(root, dir)
		}
		out = append(out, ThunderbirdProfile{
			Name: s.kv["Name"], Dir: dir,
			Default: s.kv["Default"] == "1" || installDefault[s.kv["Path"]],
		})
	}
	return out, nil
}

// ThunderbirdLocalFolders is the Local Folders directory of the first Thunderbird profile (default
// first) that has one, or "" when none has.
func ThunderbirdLocalFolders(goos, home string, getenv func(string) string) (string, error) {
	profiles, err := ThunderbirdProfiles(goos, home, getenv)
	if err != nil {
		return "", err
	}
	for _, p := range profiles {
		if fi, err := os.Stat(p.LocalFolders()); err == nil && fi.IsDir() {
			return p.LocalFolders(), nil
		}
	}
	return "", nil
}
