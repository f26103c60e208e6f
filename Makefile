# Postbode: `make run` opens the demo, `make test` runs every test. Both install what is missing.
GO      ?= go
BIN     := bin/postbode
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian/Ubuntu packages: the C toolchain and X11/GL headers Fyne needs, Xvfb for the window smoke
# test, Dovecot for the protocol tests, ImageMagick to capture screenshots.
DEB_BUILD := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev \
             libxi-dev libxxf86vm-dev
DEB_TEST  := xvfb xauth imagemagick dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl

# Packages without Fyne run with the race detector; the UI and main packages run plainly (cgo + GL).
CORE_PKGS = $(shell $(GO) list ./... | grep -v -e '^postbode$$' -e '^postbode/ui')
UI_PKGS   = postbode postbode/ui/...

.PHONY: all deps deps-build build run test test-core test-ui vet bench fuzz clean

all: build

deps-build:
	@./scripts/apt-ensure.sh $(DEB_BUILD)
	@command -v $(GO) >/dev/null || ./scripts/apt-ensure.sh golang-go

deps: deps-build
	@./scripts/apt-ensure.sh $(DEB_TEST)

build: deps-build
	$(GO) build -o $(BIN) .

run: build
	./$(BIN) demo

vet:
	$(GO) vet ./...

test: deps vet test-core test-ui

test-core:
	$(GO) test -race -timeout 15m $(CORE_PKGS)

test-ui: build
	$(GO) test -timeout 10m $(UI_PKGS)

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 5x ./localcache/

fuzz:
	@for t in $$($(GO) test -list '^Fuzz' ./mailfmt/ | grep ^Fuzz); do \
		echo "== $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime 60s ./mailfmt/ || exit 1; done

clean:
	rm -rf bin dist
