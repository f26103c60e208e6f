package smtpsend

import "postbode/mailfmt"

// sentSubject is the decoded Subject of a built message, for the "sent" event ("" when the
// header cannot be read).
func sentSubject(raw []byte) string {
	env, err := mailfmt.ParseEnvelope(raw)
	if err != nil {
		return ""
	}
	return env.Subject
}
