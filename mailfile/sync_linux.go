package mailfile

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// syncFiles makes the files durable with one syncfs of their file system (they share one: the
// Maildir) instead of one fsync each.
func syncFiles(paths []string) error {
	d, err := os.Open(filepath.Dir(paths[0]))
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
