// Package cleanlocale keeps Fyne from logging "Error parsing user locale C" on every start under
// the C.UTF-8 locale (the default of Debian's containers and many servers).
//
// Fyne's lang package reads the user's language from LC_ALL, LC_MESSAGES and LANG (through
// github.com/jeandeaual/go-locale) while the program initialises, before main runs. The plain "C"
// and "POSIX" locales are understood as "no language", but "C.UTF-8" becomes the language tag "C",
// which does not parse. For such a locale this package sets LANGUAGE=en, which go-locale reads
// instead; the texts were English anyway, so nothing the user sees changes. LANG and LC_ALL stay
// as they are: the C libraries (GLFW's input method) and programs started from Postbode keep the
// character set the user chose, and en_US.UTF-8 may not even be installed.
//
// Importing the package is enough. Go initialises packages in import-path order as soon as their
// own imports are ready; fyne.io/fyne/v2/lang waits for text/template, which sorts after
// postbode/..., and this package needs only os, so its init always runs before Fyne's. The ui
// package imports it; TestCLINoNoiseOnStderr in package main checks the built binary.
package cleanlocale

import "os"

func init() { normalise(os.Getenv, os.Setenv) }

// normalise sets LANGUAGE=en when the locale that decides the language of messages is a variant
// of C or POSIX that go-locale cannot parse and LANGUAGE does not already name a language.
func normalise(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	var locale string
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(name); locale != "" {
			break
		}
	}
	if locale == "C" || locale == "POSIX" {
		return // go-locale reads these as "no language": nothing is logged
	}
	if base := cut(cut(locale, '.'), '@'); base == "C" || base == "POSIX" {
		_ = setenv("LANGUAGE", "en")
	}
}

// cut returns s up to the first c.
func cut(s string, c byte) string {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i]
		}
	}
	return s
}
