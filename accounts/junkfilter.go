package accounts

import (
	"context"
	"fmt"

	"postbode/junkfilter"
	"postbode/localcache"
)

// trainJunk teaches the account's junk filter what the user said of these messages: junk, or
// not junk. Messages whose bodies are not downloaded teach nothing (their words are unknown).
func (m *Manager) trainJunk(ctx context.Context, account string, ids []int64, junk bool) error {
	for _, id := range ids {
		msg, err := m.cache.Message(ctx, id)
		if err != nil {
			return err
		}
		if msg.BodyKey == "" {
			continue
		}
		raw, err := m.cache.Body(ctx, msg.BodyKey)
		if err != nil {
			return err
		}
		if err := m.cache.TrainJunk(ctx, account, msg.BodyKey, junkfilter.Tokens(raw), junk); err != nil {
			return err
		}
	}
	return nil
}

// JunkScore is how likely the message is junk by its account's training, from 0 to 1. ready is
// false while the filter has not been trained enough (and while the body is not downloaded).
func (m *Manager) JunkScore(ctx context.Context, id int64) (score float64, ready bool, err error) {
	msg, err := m.cache.Message(ctx, id)
	if err != nil {
		return 0, false, fmt.Errorf("junk score: %w", err)
	}
	return m.junkScore(ctx, msg)
}

func (m *Manager) junkScore(ctx context.Context, msg localcache.Message) (float64, bool, error) {
	if msg.BodyKey == "" {
		return 0.5, false, nil
	}
	raw, err := m.cache.Body(ctx, msg.BodyKey)
	if err != nil {
		return 0, false, fmt.Errorf("junk score: %w", err)
	}
	tokens := junkfilter.Tokens(raw)
	model, err := m.cache.JunkModel(ctx, msg.Account, tokens)
	if err != nil {
		return 0, false, err
	}
	return model.Score(tokens), model.Ready(), nil
}
