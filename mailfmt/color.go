package mailfmt

import (
	"fmt"
	"strconv"
	"strings"
)

// namedColors are the CSS colour names newsletters use; others are ignored.
var namedColors = map[string]string{
	"black": "#000000", "white": "#ffffff", "red": "#ff0000", "green": "#008000", "blue": "#0000ff",
	"yellow": "#ffff00", "orange": "#ffa500", "purple": "#800080", "gray": "#808080", "grey": "#808080",
	"silver": "#c0c0c0", "maroon": "#800000", "navy": "#000080", "teal": "#008080", "olive": "#808000",
	"lime": "#00ff00", "aqua": "#00ffff", "fuchsia": "#ff00ff", "darkgray": "#a9a9a9",
	"darkgrey": "#a9a9a9", "lightgray": "#d3d3d3", "lightgrey": "#d3d3d3", "darkblue": "#00008b",
	"darkred": "#8b0000", "darkgreen": "#006400", "whitesmoke": "#f5f5f5", "gainsboro": "#dcdcdc",
	"dimgray": "#696969", "dimgrey": "#696969", "crimson": "#dc143c", "gold": "#ffd700",
	"pink": "#ffc0cb", "brown": "#a52a2a", "beige": "#f5f5dc", "ivory": "#fffff0",
	"aliceblue": "#f0f8ff", "lightblue": "#add8e6", "steelblue": "#4682b4", "royalblue": "#4169e1",
	"tomato": "#ff6347", "orangered": "#ff4500", "seagreen": "#2e8b57", "slategray": "#708090",
	"slategrey": "#708090", "lightyellow": "#ffffe0", "snow": "#fffafa", "linen": "#faf0e6",
}

// parseColor reads a CSS or HTML colour (#rgb, #rrggbb, rgb(), rgba() that is mostly opaque, a
// name) as "#rrggbb", or "" when it is none of those or transparent.
func parseColor(v string) string {
	v = asciiLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important")))
	if c, ok := namedColors[v]; ok {
		return c
	}
	hex := strings.TrimPrefix(v, "#")
	if _, err := strconv.ParseUint(hex, 16, 32); err == nil {
		switch len(hex) {
		case 3:
			return "#" + string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
		case 6:
			return "#" + hex
		}
		return ""
	}
	args, ok := strings.CutPrefix(v, "rgba(")
	if !ok {
		args, ok = strings.CutPrefix(v, "rgb(")
	}
	args, closed := strings.CutSuffix(args, ")")
	if !ok || !closed {
		return ""
	}
	f := strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ' ' || r == '/' })
	if len(f) < 3 || len(f) > 4 {
		return ""
	}
	var rgb [3]int
	for i := range rgb {
		n, err := strconv.Atoi(f[i])
		if err != nil || n < 0 || n > 255 {
			return ""
		}
		rgb[i] = n
	}
	if len(f) == 4 {
		if a, err := strconv.ParseFloat(f[3], 64); err != nil || a < 0.5 {
			return "" // mostly transparent: the colour beneath shows
		}
	}
	return fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
}

// cssProps reads the declarations of a style attribute: lower-case names to values.
func cssProps(style string) map[string]string {
	if style == "" {
		return nil
	}
	props := map[string]string{}
	for decl := range strings.SplitSeq(style, ";") {
		k, v, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		props[asciiLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return props
}

// bgColor is the background colour an element sets: bgcolor, background-color, or the first
// colour of a background shorthand.
func bgColor(attrs []attr, props map[string]string) string {
	if c := parseColor(props["background-color"]); c != "" {
		return c
	}
	for _, f := range strings.Fields(props["background"]) {
		if c := parseColor(f); c != "" {
			return c
		}
	}
	return parseColor(attrVal(attrs, "bgcolor"))
}

// textAlign is the alignment an element sets by its align attribute or text-align.
func textAlign(tag string, attrs []attr, props map[string]string) Align {
	if tag == "center" {
		return AlignCenter
	}
	v := props["text-align"]
	if v == "" && tag != "table" && tag != "img" { // on these, align floats the element itself
		v = attrVal(attrs, "align")
	}
	switch asciiLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important"))) {
	case "center", "middle", "-webkit-center":
		return AlignCenter
	case "right", "end":
		return AlignRight
	case "left", "start", "justify":
		return AlignLeft
	}
	return AlignDefault
}
