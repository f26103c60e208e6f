// Package uikit holds what the main window (package ui) and the account wizard (ui/wizard) both
// show: small widgets and how a failure is put into words. It imports Fyne and the shared
// translations, nothing of either window.
package uikit

import "postbode/ui/translations"

// tr is translations.Tr under the name the translation check looks for.
func tr(s string, data ...any) string { return translations.Tr(s, data...) }
