// Package assets holds the app's bundled resources: the icon and its SVG source.
package assets

import _ "embed"

// IconPNG is the 512×512 app icon, used for the window, the tray and notifications.
//
//go:embed icon.png
var IconPNG []byte

// IconSVG is the icon's source.
//
//go:embed icon.svg
var IconSVG []byte
