package imapsync

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"

	"postbode/types"
)

var _ types.QuotaReader = (*Engine)(nil) // Manager.Quota reaches Quota through it

// Quota asks the server for the storage quota of INBOX's quota root (GETQUOTAROOT INBOX), on a
// connection of its own that it closes again: it is asked once before a large upload, not kept.
// ok is false when the server offers no QUOTA, refuses to say, or sets no storage limit there.
func (e *Engine) Quota(ctx context.Context) (types.Quota, bool, error) {
	cn, err := e.connect(ctx)
	if err != nil {
		return types.Quota{}, false, err
	}
	defer cn.close()
	if !cn.caps.Has(imap.CapQuota) {
		return types.Quota{}, false, nil
	}
	stop := cn.watch(cn.opt.cmdTimeout)
	roots, err := cn.cl.GetQuotaRoot("INBOX").Wait()
	stop()
	if isRefusal(err) {
		return types.Quota{}, false, nil // the server keeps its quota to itself
	}
	if err != nil {
		return types.Quota{}, false, fmt.Errorf("ask %s for the quota: %w", e.acc.Incoming.Host, cn.wrap(err))
	}
	for _, r := range roots {
		if s, ok := r.Resources[imap.QuotaResourceStorage]; ok && s.Limit > 0 {
			// RFC 9208 counts STORAGE in units of 1024 octets.
			return types.Quota{Used: s.Usage * 1024, Limit: s.Limit * 1024}, true, nil
		}
	}
	return types.Quota{}, false, nil
}
