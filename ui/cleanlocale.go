package ui

// Imported for its init, which runs before Fyne's lang package reads the locale: under C.UTF-8 it
// keeps "Error parsing user locale C" off stderr (see the package comment).
import _ "postbode/internal/cleanlocale"
