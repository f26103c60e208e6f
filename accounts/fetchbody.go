package accounts

import (
	"context"
	"fmt"

	"postbode/types"
)

// FetchBody asks the engine of the message's account to download and store its body now. The body
// arrives in the cache, whose change notification tells the UI.
func (m *Manager) FetchBody(ctx context.Context, messageID int64) error {
	msg, err := m.cache.Message(ctx, messageID)
	if err != nil {
		return fmt.Errorf("fetch body: %w", err)
	}
	acc, ok := m.Account(msg.Account)
	if !ok {
		return fmt.Errorf("fetch body: no account named %q", msg.Account)
	}
	e, err := m.engine(ctx, acc)
	if err != nil {
		return fmt.Errorf("fetch body: %w", err)
	}
	f, ok := e.(types.BodyFetcher)
	if !ok {
		return fmt.Errorf("fetch body of message %d (%s): %w", messageID, acc.Name, types.ErrBodyFetchUnsupported)
	}
	if err := f.FetchBody(ctx, messageID); err != nil {
		return fmt.Errorf("fetch body of message %d (%s): %w", messageID, acc.Name, err)
	}
	return nil
}
