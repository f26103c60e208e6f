package localcache

import "sync"

// Change says that something in one folder (or the folder list) of an account changed.
type Change struct {
	Account  string
	FolderID int64 // 0: several or unknown folders of the account
	Folders  bool  // the folder list itself changed (created, renamed, deleted, counts)
}

// Subscription delivers coalesced changes: a slow reader never blocks a writer, it just gets the
// changes merged when it next calls Take.
type Subscription struct {
	// C receives a value whenever changes are waiting.
	C <-chan struct{}

	c       chan struct{}
	cache   *Cache
	mu      sync.Mutex
	pending map[Change]struct{}
}

// Subscribe starts receiving change notifications; call Close when done.
func (c *Cache) Subscribe() *Subscription {
	ch := make(chan struct{}, 1)
	s := &Subscription{C: ch, c: ch, cache: c, pending: map[Change]struct{}{}}
	c.subsMu.Lock()
	c.subs[s] = struct{}{}
	c.subsMu.Unlock()
	return s
}

// Take returns the changes gathered since the last call.
func (s *Subscription) Take() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Change, 0, len(s.pending))
	for ch := range s.pending {
		out = append(out, ch)
	}
	clear(s.pending)
	return out
}

// Close stops the subscription.
func (s *Subscription) Close() {
	s.cache.subsMu.Lock()
	delete(s.cache.subs, s)
	s.cache.subsMu.Unlock()
}

func (c *Cache) notify(ch Change) {
	c.subsMu.Lock()
	defer c.subsMu.Unlock()
	for s := range c.subs {
		s.mu.Lock()
		s.pending[ch] = struct{}{}
		s.mu.Unlock()
		select {
		case s.c <- struct{}{}:
		default:
		}
	}
}

func (c *Cache) notifyAll(changes []Change) {
	for _, ch := range changes {
		c.notify(ch)
	}
}
