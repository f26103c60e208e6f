// Package testkit holds the fakes that tests of several packages share: a password store, an
// event recorder, a check for secrets written to disk and a dialer that stays on loopback. Its subfolders are the test rigs
// (testbed: a private Dovecot and Postfix; fakenet and pop3test: scripted fake servers).
//
// Only tests and benchmarks import testkit and its subfolders; nothing in the shipped program
// does (TestShippedProgramDoesNotImportTestkit checks). testkit does not import accounts, so
// that accounts' own tests can use it.
package testkit
