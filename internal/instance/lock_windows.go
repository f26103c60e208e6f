//go:build windows

package instance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"syscall"
)

var errLocked = errors.New("locked")

// lockFile opens path with no sharing: while this process has it open, every other open fails
// with a sharing violation, and Windows closes it when the process ends.
func lockFile(path string) (*os.File, error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil,
		syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		const errorSharingViolation syscall.Errno = 32
		if errors.Is(err, errorSharingViolation) {
			return nil, errLocked
		}
		return nil, err
	}
	return os.NewFile(uintptr(h), path), nil
}

// runtimeDir is a folder in the user's own temp dir (%TEMP% is under the user's profile), named
// after the user in case it is shared.
func runtimeDir() (string, error) {
	name := "user"
	if u, err := user.Current(); err == nil {
		sum := sha256.Sum256([]byte(u.Uid))
		name = hex.EncodeToString(sum[:6])
	}
	d := filepath.Join(os.TempDir(), "postbode-"+name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("runtime dir: %w", err)
	}
	return d, nil
}
