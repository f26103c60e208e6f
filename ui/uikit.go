package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"postbode/ui/uikit"
)

// The widgets shared with the account wizard live in ui/uikit; these keep their names here.
func newThemedRect(name fyne.ThemeColorName, alpha uint8) *uikit.ThemedRect {
	return uikit.NewThemedRect(name, alpha)
}
func newThemedDot(name fyne.ThemeColorName) *uikit.ThemedRect { return uikit.NewThemedDot(name) }
func newDimText(text string, size fyne.ThemeSizeName) *widget.RichText {
	return uikit.NewDimText(text, size)
}
func setDimText(rt *widget.RichText, text string) { uikit.SetDimText(rt, text) }
func heading(text string) fyne.CanvasObject       { return uikit.Heading(text) }
func wrapped(text string) *widget.Label           { return uikit.Wrapped(text) }
func dimWrapped(text string) *widget.RichText     { return uikit.DimWrapped(text) }
func setEnabled(b fyne.Disableable, on bool)      { uikit.SetEnabled(b, on) }
