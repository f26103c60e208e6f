// Package ui is every window and widget of Postbode; it is the only package that imports Fyne.
package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"postbode/accounts"
	"postbode/assets"
	"postbode/localcache"
)

// AppID identifies Postbode to the desktop (preferences, notifications); it matches FyneApp.toml.
const AppID = "nl.postbode.mail"

// Deps is what the UI works with: it reads the cache and posts requests to the Manager.
type Deps struct {
	Manager *accounts.Manager
	Cache   *localcache.Cache
	Version string
}

// Run opens the main window and blocks until it is closed or ctx ends.
func Run(ctx context.Context, d Deps) error {
	a := app.NewWithID(AppID)
	a.SetIcon(fyne.NewStaticResource("postbode.png", assets.IconPNG))
	w := a.NewWindow("Postbode")
	w.SetContent(container.NewCenter(widget.NewLabel("Postbode " + d.Version)))
	w.Resize(fyne.NewSize(1100, 700))
	closed := make(chan struct{})
	defer close(closed)
	go func() {
		select {
		case <-ctx.Done():
			fyne.Do(a.Quit)
		case <-closed:
		}
	}()
	w.ShowAndRun()
	return nil
}
