// Package accounts holds account settings (never secrets), passwords through the OS keyring, and the
// Manager that runs one engine per account and turns user intents into local changes.
package accounts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"postbode/types"
)

// Config is the set of accounts, stored as JSON in the profile's config folder.
type Config struct {
	Accounts []types.Account `json:"accounts"`
}

// Find returns the account with that name.
func (c *Config) Find(name string) (types.Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return types.Account{}, false
}

// LoadConfig reads the config file; a missing file is an empty config.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("accounts file %s: %w", path, err)
	}
	for i := range c.Accounts {
		c.Accounts[i] = c.Accounts[i].WithDefaults()
	}
	return &c, nil
}

// Save writes the config atomically (temp file, fsync, rename), so a crash leaves the old or the new.
func (c *Config) Save(path string) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode accounts: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	return WriteFileAtomic(path, append(data, '\n'), 0o600)
}

// Add appends a new account after validating it.
func (c *Config) Add(a types.Account) error {
	a = a.WithDefaults()
	if err := a.Validate(); err != nil {
		return err
	}
	if _, dup := c.Find(a.Name); dup {
		return fmt.Errorf("an account named %q already exists", a.Name)
	}
	c.Accounts = append(c.Accounts, a)
	return nil
}

// Remove drops an account by name.
func (c *Config) Remove(name string) error {
	for i, a := range c.Accounts {
		if a.Name == name {
			c.Accounts = append(c.Accounts[:i], c.Accounts[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("no account named %q", name)
}

// WriteFileAtomic writes data to path through a temp file that is fsynced and renamed, then fsyncs the
// directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
