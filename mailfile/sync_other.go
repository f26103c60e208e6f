//go:build !linux

package mailfile

import "os"

// syncFiles fsyncs each file: without syncfs there is no cheaper way that is sure.
func syncFiles(paths []string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
