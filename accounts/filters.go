package accounts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"postbode/localcache"
	"postbode/rules"
	"postbode/types"
)

// Filters run the profile's rules on new mail of the inboxes and, on request, on a folder. Each
// message waits in the cache's filter queue, which records how many actions of its plan are done
// and whether the next was begun, and every action goes through Do like the user's own. After a
// crash the run resumes where it stopped: a done action is not repeated, and an action that was
// begun is done only if its effect is not there yet (for a copy, by the Message-ID in the target).

// LoadRules reads a rules file; a missing file has no rules.
func LoadRules(path string) (rules.Set, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return rules.Set{}, nil
	}
	if err != nil {
		return rules.Set{}, fmt.Errorf("read rules: %w", err)
	}
	s, err := rules.Parse(data)
	if err != nil {
		return rules.Set{}, fmt.Errorf("rules file %s: %w", path, err)
	}
	return s, nil
}

// Rules returns the filter rules in use.
func (m *Manager) Rules() rules.Set {
	m.rulesMu.Lock()
	defer m.rulesMu.Unlock()
	return m.rules
}

// SetRules validates the rules, writes them to the rules file atomically and uses them from now on.
func (m *Manager) SetRules(s rules.Set) error {
	if m.opt.RulesPath == "" {
		return errors.New("this profile has no rules file")
	}
	data, err := s.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(m.opt.RulesPath), 0o700); err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	if err := WriteFileAtomic(m.opt.RulesPath, data, 0o600); err != nil {
		return err
	}
	m.rulesMu.Lock()
	m.rules = s
	m.rulesMu.Unlock()
	return nil
}

// RunFiltersOn queues every message of a folder for the rules and wakes the filter runner.
func (m *Manager) RunFiltersOn(ctx context.Context, folderID int64) error {
	if err := m.cache.QueueFolderFilters(ctx, folderID); err != nil {
		return err
	}
	m.wakeFilters()
	return nil
}

// filterNewMail queues new mail for the rules, before the event goes on, so that mail that
// arrived is filtered even if the program stops before the runner gets to it.
func (m *Manager) filterNewMail(ev types.NewMail) {
	if acc, _ := m.Account(ev.Account); !m.Rules().Active() && !acc.JunkFilter {
		return
	}
	ids := make([]int64, 0, len(ev.Messages))
	for _, msg := range ev.Messages {
		ids = append(ids, msg.ID)
	}
	if err := m.cache.QueueFilters(context.Background(), ids); err != nil {
		m.emit(context.Background(), types.Error{Account: ev.Account, Op: "filters", Err: err})
		return
	}
	m.wakeFilters()
}

func (m *Manager) wakeFilters() {
	select {
	case m.filterWake <- struct{}{}:
	default:
	}
}

// runFilters drains the filter queue at start (what a crash left) and whenever woken, until ctx ends.
func (m *Manager) runFilters(ctx context.Context) {
	for {
		if err := m.RunFilters(ctx); err != nil && ctx.Err() == nil {
			m.emit(ctx, types.Error{Op: "filters", Err: err})
		}
		select {
		case <-ctx.Done():
			return
		case <-m.filterWake:
		}
	}
}

// RunFilters runs the rules on every queued message now. An action that fails is reported as an
// Error event and the message's other actions still run; only a failure of the cache stops the run.
func (m *Manager) RunFilters(ctx context.Context) error {
	m.filterMu.Lock()
	defer m.filterMu.Unlock()
	set := m.Rules()
	var after int64
	for {
		batch, err := m.cache.FilterQueue(ctx, after, 100)
		if err != nil || len(batch) == 0 {
			return err
		}
		for _, e := range batch {
			if err := m.filterOne(ctx, set, e); err != nil {
				return err
			}
			after = e.MessageID
		}
	}
}

// filterOne runs the rest of one message's plan, recording each step before and after it.
func (m *Manager) filterOne(ctx context.Context, set rules.Set, e localcache.FilterEntry) error {
	msg, err := m.cache.Message(ctx, e.MessageID)
	if errors.Is(err, localcache.ErrNotFound) {
		return m.cache.FilterDone(ctx, e.MessageID)
	}
	if err != nil {
		return err
	}
	plan := set.Plan(m.ruleInput(ctx, set, msg))
	if junk, err := m.likelyJunk(ctx, msg); err != nil {
		return err
	} else if junk {
		plan = []rules.Action{{Kind: rules.ActJunk}} // to Junk, whatever the rules would do
	}
	for i := e.Step; i < len(plan); i++ {
		resumed := e.Started && i == e.Step
		if !resumed {
			if err := m.cache.SetFilterStep(ctx, msg.ID, i, true); err != nil {
				return err
			}
		}
		err := m.filterAction(ctx, plan[i], msg.ID, resumed)
		if errors.Is(err, localcache.ErrNotFound) {
			// The message is gone (deleted for good, moved to another account): nothing is left to do.
			return m.cache.FilterDone(ctx, msg.ID)
		}
		if err != nil {
			m.emit(ctx, types.Error{Account: msg.Account, Op: "filters", Err: err})
		}
		if err := m.cache.SetFilterStep(ctx, msg.ID, i+1, false); err != nil {
			return err
		}
	}
	return m.cache.FilterDone(ctx, msg.ID)
}

// ruleInput is what the rules see of a message; the header is read only when a rule asks for one,
// downloading the message first when its body is not here yet.
func (m *Manager) ruleInput(ctx context.Context, set rules.Set, msg localcache.Message) rules.Message {
	from := msg.FromAddr
	if msg.FromName != "" {
		from = msg.FromName + " <" + msg.FromAddr + ">"
	}
	in := rules.Message{Account: msg.Account, From: from, To: msg.To, Cc: msg.Cc, Subject: msg.Subject,
		Size: msg.Size, HasAttachment: msg.HasAttachment}
	if !set.NeedsHeader() {
		return in
	}
	if msg.BodyKey == "" {
		if err := m.FetchBody(ctx, msg.ID); err != nil {
			return in // header conditions then do not hold
		}
		var err error
		if msg, err = m.cache.Message(ctx, msg.ID); err != nil {
			return in
		}
	}
	if raw, err := m.cache.Body(ctx, msg.BodyKey); err == nil {
		in.Header = rules.ParseHeader(raw)
	}
	return in
}

// filterAction does one action on a message through Do. With resumed set the action was begun
// before a crash, and it is done only if its effect is missing.
func (m *Manager) filterAction(ctx context.Context, a rules.Action, id int64, resumed bool) error {
	msg, err := m.cache.Message(ctx, id)
	if err != nil {
		return err
	}
	var target localcache.Folder
	if a.Folder != nil {
		if target, err = m.cache.FolderByName(ctx, a.Folder.Account, a.Folder.Name); err != nil {
			return fmt.Errorf("filter folder %q of %s: %w", a.Folder.Name, a.Folder.Account, folderMissing(err))
		}
	}
	if resumed {
		done, err := m.actionDone(ctx, a, msg, target)
		if err != nil || done {
			return err
		}
	}
	ids := []int64{id}
	switch a.Kind {
	case rules.ActMove:
		return m.Do(ctx, types.Move{IDs: ids, To: target.ID})
	case rules.ActCopy:
		return m.Do(ctx, types.Copy{IDs: ids, To: target.ID})
	case rules.ActMarkRead:
		return m.Do(ctx, types.MarkRead{IDs: ids, Read: true})
	case rules.ActFlag:
		return m.Do(ctx, types.SetFlag{IDs: ids, Flag: localcache.FlagFlagged, On: true})
	case rules.ActTag:
		return m.Do(ctx, types.AddKeyword{IDs: ids, Keyword: a.Keyword})
	case rules.ActDelete:
		return m.Do(ctx, types.Delete{IDs: ids})
	case rules.ActJunk:
		return m.Do(ctx, types.MarkJunk{IDs: ids, Junk: true, Auto: true})
	}
	return nil
}

// folderMissing keeps ErrNotFound of a rule's folder from reading as the message being gone.
func folderMissing(err error) error {
	if errors.Is(err, localcache.ErrNotFound) {
		return errors.New("no such folder")
	}
	return err
}

// actionDone says whether an action begun before a crash took effect. A copy or a move to another
// account is recognised by the Message-ID in the target; without one it counts as done, as doing
// it twice is worse than not at all.
func (m *Manager) actionDone(ctx context.Context, a rules.Action, msg localcache.Message, target localcache.Folder) (bool, error) {
	switch a.Kind {
	case rules.ActMove, rules.ActCopy:
		if a.Kind == rules.ActMove && msg.FolderID == target.ID {
			return true, nil
		}
		if strings.TrimSpace(msg.MessageID) == "" {
			return true, nil
		}
		return m.cache.FolderHasMessageID(ctx, target.ID, msg.MessageID)
	case rules.ActMarkRead:
		return msg.Flags.Has(localcache.FlagSeen), nil
	case rules.ActFlag:
		return msg.Flags.Has(localcache.FlagFlagged), nil
	case rules.ActTag:
		return localcache.HasKeyword(msg.Keywords, a.Keyword), nil
	case rules.ActDelete:
		trash, err := m.cache.FolderByRole(ctx, msg.Account, localcache.RoleTrash)
		if errors.Is(err, localcache.ErrNotFound) {
			return false, nil // deleted for good would have taken the message away
		}
		return err == nil && msg.FolderID == trash.ID, err
	case rules.ActJunk:
		acc, _ := m.Account(msg.Account)
		junk, err := m.junkFolder(ctx, acc, false)
		return err == nil && junk.ID != 0 && msg.FolderID == junk.ID && localcache.HasKeyword(msg.Keywords, localcache.KeywordJunk), err
	}
	return false, nil
}
