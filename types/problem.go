package types

// Problem is what a failed connection test means for the user, so that the UI can say what to do
// without knowing the protocol libraries.
type Problem string

const (
	ProblemNone         Problem = ""
	ProblemCanceled     Problem = "canceled"      // the user stopped it
	ProblemAuth         Problem = "auth"          // user name or password refused
	ProblemOAuth        Problem = "oauth"         // the provider refuses passwords: app password or OAuth2 needed
	ProblemSignIn       Problem = "sign-in"       // the OAuth2 sign-in was revoked or expired: sign in again
	ProblemKindChanged  Problem = "kind-changed"  // the account's kind was changed outside Postbode: not applied
	ProblemCertificate  Problem = "certificate"   // see CertProblem for the details
	ProblemNoEncryption Problem = "no-encryption" // STARTTLS missing or refused: nothing was sent
	ProblemUnknownHost  Problem = "unknown-host"  // the host name does not resolve
	ProblemUnreachable  Problem = "unreachable"   // connection refused, no route
	ProblemTimeout      Problem = "timeout"       // no answer in time
	ProblemLost         Problem = "lost"          // an open connection broke (reset, closed, cut short)
	ProblemDiskFull     Problem = "disk-full"     // this computer has no room to store mail
	ProblemSecurity     Problem = "security"      // the TLS handshake failed (not the certificate)
	ProblemRecipient    Problem = "recipient"     // SMTP: a recipient was refused
	ProblemTooLarge     Problem = "too-large"     // SMTP: the message is larger than the server takes
	ProblemRefused      Problem = "refused"       // the server refused the request for good
	ProblemBusy         Problem = "busy"          // a temporary refusal: tried again later
	ProblemOverQuota    Problem = "over-quota"    // the account's storage quota on the server is full
	ProblemOther        Problem = "other"
)

// Diagnosed is an error that knows its Problem (the outbox's send errors), so that Diagnose need
// not guess from its text.
type Diagnosed interface {
	error
	Problem() Problem
}
