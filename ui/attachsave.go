package ui

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"postbode/mailfmt"
)

// writePart decodes attachment p of the message raw into w and closes it. When anything fails the
// file is removed rather than left half written.
func writePart(raw []byte, p mailfmt.Part, w fyne.URIWriteCloser) error {
	rd, _, err := mailfmt.OpenPart(bytes.NewReader(raw), p.Path, mailfmt.DefaultLimits)
	if err == nil {
		_, err = io.Copy(w, rd)
	}
	if s, ok := w.(interface{ Sync() error }); ok && err == nil {
		err = s.Sync()
	}
	err = errors.Join(err, w.Close())
	if err != nil {
		if rmErr := storage.Delete(w.URI()); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
		return fmt.Errorf("%s: %w", w.URI().Name(), err)
	}
	return nil
}
