package accounts

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Profile is where one user's config, mail and logs live. Tests and scripts point it at a temp dir
// (--profile or POSTBODE_PROFILE) so they never touch the real profile.
type Profile struct {
	ConfigDir string
	DataDir   string // the local cache: index and stored mail (POP3 mail exists nowhere else)
	LogDir    string
}

// ProfileIn puts everything under one folder.
func ProfileIn(dir string) Profile {
	return Profile{ConfigDir: filepath.Join(dir, "config"), DataDir: filepath.Join(dir, "data"), LogDir: filepath.Join(dir, "logs")}
}

// DefaultProfile uses POSTBODE_PROFILE when set, otherwise the platform's per-user folders.
func DefaultProfile() (Profile, error) {
	if dir := os.Getenv("POSTBODE_PROFILE"); dir != "" {
		return ProfileIn(dir), nil
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return Profile{}, fmt.Errorf("find config dir: %w", err)
	}
	data, err := userDataDir()
	if err != nil {
		return Profile{}, err
	}
	return Profile{
		ConfigDir: filepath.Join(cfg, "postbode"),
		DataDir:   filepath.Join(data, "postbode"),
		LogDir:    filepath.Join(data, "postbode", "logs"),
	}, nil
}

// userDataDir is where durable per-user data goes. Mail is not a cache a cleaner may wipe, so not
// UserCacheDir.
func userDataDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", fmt.Errorf("find data dir: LocalAppData is not set")
	case "darwin":
		return os.UserConfigDir() // ~/Library/Application Support
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return d, nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find data dir: %w", err)
		}
		return filepath.Join(home, ".local", "share"), nil
	}
}

// AccountsFile is the path of the accounts config.
func (p Profile) AccountsFile() string { return filepath.Join(p.ConfigDir, "accounts.json") }

// RulesFile is where the message filter rules are kept.
func (p Profile) RulesFile() string { return filepath.Join(p.ConfigDir, "rules.json") }

// OAuthFile is where the user may set OAuth2 client IDs and add providers (see the README); it
// need not exist.
func (p Profile) OAuthFile() string { return filepath.Join(p.ConfigDir, "oauth.json") }

// Ensure creates the profile's folders, private to the user.
func (p Profile) Ensure() error {
	for _, d := range []string{p.ConfigDir, p.DataDir, p.LogDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	return nil
}
