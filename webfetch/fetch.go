// Package webfetch loads the remote images of a message once the user has agreed to it. It is
// the one place where message content causes a network request, so every such request is
// bounded here: http and https only (redirects too, and at most a few of them), no cookies, no
// Referer, no credentials in the URL, a time limit per image, a size limit per image, and only
// responses that are images. TLS follows the project's rules: certificates are verified and
// TLS 1.2 is the least accepted.
package webfetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Default limits.
const (
	DefaultMaxBytes     = 5 << 20
	DefaultTimeout      = 15 * time.Second
	DefaultMaxRedirects = 3
)

// ErrNotImage is returned for a response whose Content-Type is not an image type.
var ErrNotImage = errors.New("webfetch: the response is not an image")

// ErrTooLarge is returned for an image larger than the size limit.
var ErrTooLarge = errors.New("webfetch: the image exceeds the size limit")

// Fetcher loads images over HTTP. The zero value is not usable; use New.
type Fetcher struct {
	client   *http.Client
	maxBytes int64
	timeout  time.Duration
}

// Options change the limits of New; zero fields keep the defaults.
type Options struct {
	MaxBytes     int64
	Timeout      time.Duration
	MaxRedirects int
}

// New returns a Fetcher with its own transport and no cookie jar.
func New(o Options) *Fetcher {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	maxRedirects := o.MaxRedirects
	client := &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("webfetch: more than %d redirects", maxRedirects)
			}
			if err := checkURL(req.URL); err != nil {
				return err
			}
			req.Header.Del("Referer")
			return nil
		},
	}
	return &Fetcher{client: client, maxBytes: o.MaxBytes, timeout: o.Timeout}
}

// checkURL accepts http and https URLs with a host and without credentials.
func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("webfetch: scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("webfetch: URL without a host")
	}
	if u.User != nil {
		return errors.New("webfetch: URL with credentials")
	}
	return nil
}

// Image fetches one image and returns its bytes and media type. The caller decodes them.
func (f *Fetcher) Image(ctx context.Context, rawURL string) ([]byte, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, "", fmt.Errorf("webfetch: %w", err)
	}
	if err := checkURL(u); err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("webfetch: %w", err)
	}
	req.Header.Set("Accept", "image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1")
	req.Header.Set("User-Agent", "Postbode")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("webfetch: get %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("webfetch: get %s: %s", u.Redacted(), resp.Status)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "image/") {
		return nil, "", fmt.Errorf("get %s: %w (%q)", u.Redacted(), ErrNotImage, mt)
	}
	if resp.ContentLength > f.maxBytes {
		return nil, "", fmt.Errorf("get %s: %w", u.Redacted(), ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("webfetch: read %s: %w", u.Redacted(), err)
	}
	if int64(len(data)) > f.maxBytes {
		return nil, "", fmt.Errorf("get %s: %w", u.Redacted(), ErrTooLarge)
	}
	return data, mt, nil
}
