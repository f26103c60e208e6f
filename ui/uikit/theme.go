package uikit

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// fixedVariant draws the default theme in one variant, whatever the desktop says.
type fixedVariant struct {
	fyne.Theme
	v fyne.ThemeVariant
}

func (t fixedVariant) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, t.v)
}

// FixedVariant is the default theme, always light or always dark.
func FixedVariant(v fyne.ThemeVariant) fyne.Theme { return fixedVariant{theme.DefaultTheme(), v} }
