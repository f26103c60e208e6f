package uikit

import (
	"fmt"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Heading is a bold section title.
func Heading(text string) fyne.CanvasObject {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// Wrapped is a label that wraps words, for explanations.
func Wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// DimWrapped is secondary explanation text: quieter than a label, still easy to read.
func DimWrapped(text string) *widget.RichText {
	rt := NewDimText(text, theme.SizeNameText)
	rt.Truncation = fyne.TextTruncateOff
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// SetEnabled enables or disables b, touching it only when that changes something.
func SetEnabled(b fyne.Disableable, on bool) {
	if on && b.Disabled() {
		b.Enable()
	} else if !on && !b.Disabled() {
		b.Disable()
	}
}

// OpenInBrowser shows a web page, such as a provider's sign-in page, in the system browser.
func OpenInBrowser(a fyne.App, address string) error {
	link, err := url.Parse(address)
	if err != nil {
		return fmt.Errorf("sign-in address: %w", err)
	}
	return a.OpenURL(link)
}
