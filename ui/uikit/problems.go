package uikit

import (
	"errors"

	"postbode/accounts"
	"postbode/accounts/oauth"
	"postbode/types"
)

// Problem is what the status line and the banners say about an engine's error: one translated
// sentence, what to do about it, and the full technical text one click away.
type Problem struct {
	Kind     types.Problem
	Sentence string // what went wrong, in one line
	Advice   string // what the user can do
	Detail   string // the error's whole text, as the engine reported it (already redacted)
}

// NeedsSettings tells whether the fix is in the account's settings rather than in trying again.
func (p Problem) NeedsSettings() bool {
	switch p.Kind {
	case types.ProblemAuth, types.ProblemOAuth, types.ProblemCertificate, types.ProblemNoEncryption,
		types.ProblemUnknownHost:
		return true
	}
	return false
}

// DescribeProblem sorts err into the failure taxonomy and words it for the account whose server
// is host.
func DescribeProblem(err error, host string) Problem {
	p := Problem{Kind: accounts.Diagnose(err)}
	if err != nil {
		p.Detail = err.Error()
	}
	data := map[string]any{"Host": host}
	if host == "" {
		data["Host"] = tr("the server")
	}
	switch p.Kind {
	case types.ProblemAuth:
		p.Sentence = tr("The server refused the user name or password.")
		p.Advice = tr("Enter the password again under Account settings. Some providers need an app password for mail programs.")
	case types.ProblemOAuth:
		p.Sentence = tr("{{.Host}} does not accept passwords from mail programs.", data)
		p.Advice = tr("Your provider requires signing in through its web page (OAuth2), or an app password.")
	case types.ProblemSignIn:
		p.Sentence = tr("The sign-in has ended: sign in again.")
		p.Advice = tr("Your provider no longer accepts Postbode's sign-in for this account, for example after a password change or when access was removed. Sign in again to go on; nothing is lost.")
	case types.ProblemKindChanged:
		p.Sentence = tr("This account's kind was changed outside Postbode; it was not applied.")
		p.Advice = tr("The mail kept on this computer stays readable. Change the kind back in accounts.json, or add the new kind of account under another name and move the mail to it with Move to….")
	case types.ProblemCertificate:
		p.Sentence = tr("The certificate of {{.Host}} is not trusted.", data)
		p.Advice = tr("Postbode did not log in. If you expect a new certificate, check it under Account settings.")
	case types.ProblemNoEncryption:
		p.Sentence = tr("{{.Host}} did not offer encryption.", data)
		p.Advice = tr("Postbode did not send your password. Ask your provider, or choose SSL/TLS under Account settings.")
	case types.ProblemUnknownHost:
		p.Sentence = tr("The server {{.Host}} was not found.", data)
		p.Advice = tr("Check that this computer is online and the server name under Account settings.")
	case types.ProblemUnreachable:
		p.Sentence = tr("Cannot connect to {{.Host}}.", data)
		p.Advice = tr("The server may be down, or this computer offline. Postbode tries again by itself; Retry tries now.")
	case types.ProblemTimeout:
		p.Sentence = tr("{{.Host}} did not answer in time.", data)
		p.Advice = tr("The connection is slow or the server is busy. Postbode tries again by itself; Retry tries now.")
	case types.ProblemLost:
		p.Sentence = tr("The connection to {{.Host}} was lost.", data)
		p.Advice = tr("Postbode reconnects by itself; Retry tries now.")
	case types.ProblemDiskFull:
		p.Sentence = tr("The disk is full: new mail cannot be stored.")
		p.Advice = tr("Make room on this computer's disk; nothing already stored is lost.")
	case types.ProblemSecurity:
		p.Sentence = tr("No secure connection to {{.Host}} could be made.", data)
		p.Advice = tr("Postbode did not send your password. The server may not offer SSL/TLS on this port: check the port and security under Account settings.")
	case types.ProblemRecipient:
		p.Sentence = tr("The server refused a recipient.")
		p.Advice = tr("Check the addresses; the details below name the one refused. The message waits in the outbox.")
	case types.ProblemTooLarge:
		p.Sentence = tr("The message is too large for the server.")
		p.Advice = tr("Remove or shrink attachments and send it again.")
	case types.ProblemRefused:
		p.Sentence = tr("The server refused the message.")
		p.Advice = tr("The details below give the server's reason.")
	case types.ProblemBusy:
		p.Sentence = tr("The server is busy; Postbode tries again later.")
		p.Advice = tr("Nothing is lost: the message waits in the outbox.")
	case types.ProblemOverQuota:
		p.Sentence = tr("{{.Host}} has no room left: the account's storage quota is full.", data)
		p.Advice = tr("Make room on the server (empty Trash, delete large messages) or ask your provider for more space. What it refused stays where it was.")
	case types.ProblemCanceled:
		p.Sentence = tr("Stopped.")
	default:
		p.Sentence = tr("Something went wrong with {{.Host}}.", data)
		p.Advice = tr("The details below say what the server or this computer reported.")
	}
	return p
}

// DescribeSignInError words a failed browser sign-in.
func DescribeSignInError(err error) Problem {
	p := Problem{Kind: types.ProblemSignIn, Detail: err.Error()}
	switch {
	case errors.Is(err, oauth.ErrCancelled):
		p.Sentence = tr("The sign-in was cancelled.")
	case errors.Is(err, oauth.ErrTimedOut):
		p.Sentence = tr("The browser did not come back in time.")
		p.Advice = tr("Finish signing in within five minutes of opening the page.")
	case errors.Is(err, oauth.ErrNotConfigured):
		p.Sentence = tr("This copy of Postbode cannot sign in with this provider.")
		p.Advice = tr("It was built without a client ID for the provider. The README explains how to add one.")
	default:
		p.Sentence = tr("The sign-in did not work.")
		p.Advice = tr("The details below say what the provider or this computer reported.")
	}
	return p
}
