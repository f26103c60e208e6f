package testkit

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
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
