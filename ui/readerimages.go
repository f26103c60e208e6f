package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/gif" // the picture formats the reader shows: the standard library's decoders
	_ "image/jpeg"
	_ "image/png"
	"io"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"

	"postbode/mailfmt"
)

// ImageFetcher loads a remote image once the user agreed to it (webfetch.Fetcher).
type ImageFetcher interface {
	Image(ctx context.Context, url string) ([]byte, string, error)
}

// Limits on the pictures one message shows: their count, their encoded size and their pixels
// (a small PNG can claim a huge canvas).
const (
	maxPictures      = 100
	maxPictureBytes  = 10 << 20
	maxPicturePixels = 25_000_000
	fetchParallel    = 4
)

// decodePicture decodes a PNG, JPEG or GIF within the limits.
func decodePicture(data []byte) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode picture: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPicturePixels {
		return nil, fmt.Errorf("decode picture: %d×%d pixels is too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode picture: %w", err)
	}
	return img, nil
}

// messagePictures decodes the pictures a message carries: the parts its HTML shows by cid:
// reference, keyed "cid:<id>", and its other image attachments, in order.
func messagePictures(ctx context.Context, raw []byte, m *mailfmt.Message) (map[string]image.Image, []image.Image) {
	if m == nil || len(m.Attachments) == 0 {
		return nil, nil
	}
	refs := map[string]bool{}
	walkImages(m.Rich, func(im *mailfmt.Image) {
		if !im.Remote() {
			refs[im.Src] = true
		}
	})
	pics := map[string]image.Image{}
	var attached []image.Image
	for _, p := range m.Attachments {
		if ctx.Err() != nil || len(pics)+len(attached) >= maxPictures {
			break
		}
		key := "cid:" + p.ContentID
		byRef := p.ContentID != "" && refs[key]
		if !byRef && (!strings.HasPrefix(p.ContentType, "image/") || p.Inline && p.ContentID != "") {
			continue // not a picture, or one the HTML does not show
		}
		rd, _, err := mailfmt.OpenPart(bytes.NewReader(raw), p.Path, mailfmt.DefaultLimits)
		if err != nil {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(rd, maxPictureBytes+1))
		if err != nil || len(data) > maxPictureBytes {
			continue
		}
		img, err := decodePicture(data)
		if err != nil {
			continue // shown as its "[image]" text and listed as an attachment
		}
		if byRef {
			pics[key] = img
		} else {
			attached = append(attached, img)
		}
	}
	return pics, attached
}

// walkImages calls fn for every image in blocks, tables included.
func walkImages(blocks []mailfmt.Block, fn func(*mailfmt.Image)) {
	for _, b := range blocks {
		for _, s := range b.Spans {
			if s.Image != nil {
				fn(s.Image)
			}
		}
		if b.Table != nil {
			for _, row := range b.Table.Rows {
				for _, c := range row {
					walkImages(c.Blocks, fn)
				}
			}
		}
	}
}

// remoteSources lists the distinct remote images of blocks, at most maxPictures.
func remoteSources(blocks []mailfmt.Block) []string {
	var srcs []string
	walkImages(blocks, func(im *mailfmt.Image) {
		if im.Remote() && len(srcs) < maxPictures && !slices.Contains(srcs, im.Src) {
			srcs = append(srcs, im.Src)
		}
	})
	return srcs
}

// fetchPictures loads and decodes remote images, a few at a time; those that fail are left out
// (their "[image]" text stays).
func fetchPictures(ctx context.Context, f ImageFetcher, srcs []string) map[string]image.Image {
	got := map[string]image.Image{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, fetchParallel)
	for _, src := range srcs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			data, _, err := f.Image(ctx, src)
			if err != nil {
				return
			}
			img, err := decodePicture(data)
			if err != nil {
				return
			}
			mu.Lock()
			got[src] = img
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

// renderBody shows the message's text with the pictures at hand.
func (r *reader) renderBody() {
	p := r.parsed
	blocks := p.Rich
	if len(blocks) == 0 && p.Text != "" {
		blocks = mailfmt.TextToRich(p.Text)
	}
	// Receipts and tables in plain text line up only in a fixed-width font.
	base := fyne.TextStyle{Monospace: !p.HasHTML && r.svc.prefs.PlainFixed}
	v := &bodyView{base: base, openLink: r.hooks.openLink, window: r.window, tips: r.tips, pics: r.pics}
	objs := v.renderBlocks(blocks)
	for _, pic := range r.attachPics {
		objs = append(objs, v.picture(mailfmt.Span{Image: &mailfmt.Image{}}, pic))
	}
	r.body.Objects = objs
	r.body.Refresh()
}

// sender is the address remote content is allowed for, lower case.
func (r *reader) sender() string {
	addr := r.msg.FromAddr
	if r.parsed != nil && len(r.parsed.From) > 0 {
		addr = r.parsed.From[0].Email
	}
	return strings.ToLower(strings.TrimSpace(addr))
}

// allowsRemote reports whether the user chose to always load remote content from addr.
func (s *settings) allowsRemote(addr string) bool {
	return addr != "" && slices.Contains(s.RemoteSenders, addr)
}

// stopPictures cancels loading the remote pictures of a message no longer shown.
func (r *reader) stopPictures() {
	if r.stopFetch != nil {
		r.stopFetch()
		r.stopFetch = nil
	}
}

// allowSender remembers the sender as one whose remote content loads, and loads it now.
func (r *reader) allowSender() {
	addr := r.sender()
	if addr == "" {
		return
	}
	if !r.svc.prefs.allowsRemote(addr) {
		r.svc.prefs.RemoteSenders = append(r.svc.prefs.RemoteSenders, addr)
		r.svc.storePrefs()
	}
	r.loadRemote()
}

// loadRemote fetches the message's remote images through the one fetcher and shows them.
func (r *reader) loadRemote() {
	if r.parsed == nil || r.remoteOK {
		return
	}
	r.remoteOK = true
	for _, b := range r.remoteBtns {
		b.Disable()
	}
	srcs := remoteSources(r.parsed.Rich)
	if len(srcs) == 0 {
		r.remote.Hide()
		r.content.Refresh()
		return
	}
	id, gen, f := r.id, r.gen, r.svc.deps.Images
	ctx, cancel := context.WithCancel(r.svc.ctx)
	r.stopFetch = cancel
	r.svc.tasks.spawn(func(context.Context) {
		defer cancel()
		got := fetchPictures(ctx, f, srcs)
		r.svc.exec(func() {
			if gen != r.gen || r.id != id {
				return
			}
			if r.pics == nil {
				r.pics = map[string]image.Image{}
			}
			for k, v := range got {
				r.pics[k] = v
			}
			r.remote.Hide()
			r.renderBody()
			r.content.Refresh()
		})
	})
}
