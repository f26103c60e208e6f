package webfetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestImageLimits(t *testing.T) {
	var cookies, referers atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.png", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "" {
			cookies.Add(1)
		}
		if r.Header.Get("Referer") != "" {
			referers.Add(1)
		}
		http.SetCookie(w, &http.Cookie{Name: "track", Value: "1"})
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG data"))
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>"))
	})
	mux.HandleFunc("/big.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte(strings.Repeat("x", 2000)))
	})
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/to-ok", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok.png", http.StatusFound) })
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	f := New(Options{MaxBytes: 1000, Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	for range 2 {
		data, mt, err := f.Image(ctx, srv.URL+"/to-ok")
		if err != nil || mt != "image/png" || !strings.HasPrefix(string(data), "\x89PNG") {
			t.Fatalf("ok image: %q %q %v", data, mt, err)
		}
	}
	if cookies.Load() != 0 || referers.Load() != 0 {
		t.Fatalf("sent %d cookies and %d referers", cookies.Load(), referers.Load())
	}
	for path, want := range map[string]error{"/page": ErrNotImage, "/big.png": ErrTooLarge} {
		if _, _, err := f.Image(ctx, srv.URL+path); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", path, err, want)
		}
	}
	for _, bad := range []string{srv.URL + "/slow.png", srv.URL + "/loop", srv.URL + "/to-file",
		"file:///etc/passwd", "ftp://example.com/x.png", "data:image/png;base64,AAAA",
		strings.Replace(srv.URL, "http://", "http://user:pw@", 1) + "/ok.png"} {
		if _, _, err := f.Image(ctx, bad); err == nil {
			t.Errorf("%s: no error", bad)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
