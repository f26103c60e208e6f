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

// junkThreshold is the score from which the junk filter moves new mail to Junk on its own: high,
// as a good message lost in Junk costs more than junk left in the inbox.
const junkThreshold = 0.9

// likelyJunk says whether new mail goes to Junk by the junk filter: the account has it turned on,
// the filter is trained enough, and the message scores junkThreshold or more. Mail already
// judged by the user ($Junk or $NotJunk) is left alone.
func (m *Manager) likelyJunk(ctx context.Context, msg localcache.Message) (bool, error) {
	acc, ok := m.Account(msg.Account)
	if !ok || !acc.JunkFilter || localcache.HasKeyword(msg.Keywords, localcache.KeywordJunk) ||
		localcache.HasKeyword(msg.Keywords, localcache.KeywordNotJunk) {
		return false, nil
	}
	score, ready, err := m.junkScore(ctx, msg)
	return ready && score >= junkThreshold, err
}

// JunkScore is how likely a message of account, raw, is junk by the account's training, from 0
// to 1. ready is false while the filter has not been trained enough; the message is then not
// even read.
func (m *Manager) JunkScore(ctx context.Context, account string, raw []byte) (score float64, ready bool, err error) {
	trained, err := m.cache.JunkModel(ctx, account, nil)
	if err != nil || !trained.Ready() || raw == nil {
		return 0.5, false, err
	}
	tokens := junkfilter.Tokens(raw)
	model, err := m.cache.JunkModel(ctx, account, tokens)
	if err != nil {
		return 0.5, false, err
	}
	return model.Score(tokens), model.Ready(), nil
}

// junkScore is JunkScore of a cached message (not ready while its body is not downloaded).
func (m *Manager) junkScore(ctx context.Context, msg localcache.Message) (float64, bool, error) {
	if msg.BodyKey == "" {
		return 0.5, false, nil
	}
	raw, err := m.cache.Body(ctx, msg.BodyKey)
	if err != nil {
		return 0, false, fmt.Errorf("junk score: %w", err)
	}
	return m.JunkScore(ctx, msg.Account, raw)
}
