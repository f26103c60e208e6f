package testkit

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FilesContaining walks root and returns the files holding any of the secrets, and how many
// files it read: a canary check that a password reached no file the program wrote. The count
// lets a test tell "no secret found" from "nothing was written".
func FilesContaining(root string, secrets ...string) (hits []string, files int, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				hits = append(hits, p)
				break
			}
		}
		return nil
	})
	return hits, files, err
}

// NoFileContains fails the test for every file under root holding one of the secrets (and at
// once when root cannot be read); it returns how many files there were, for a test to check
// that something was written at all.
func NoFileContains(t testing.TB, root string, secrets ...string) (files int) {
	t.Helper()
	hits, files, err := FilesContaining(root, secrets...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range hits {
		t.Errorf("%s holds a secret", p)
	}
	return files
}
