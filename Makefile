# Postbode: `make run` opens the demo, `make test` runs every test. Both install what is missing.
GO      ?= go
BIN     := bin/postbode
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian/Ubuntu packages: the C toolchain and X11/GL headers Fyne needs, Xvfb for the window smoke
# test, Dovecot for the protocol tests, ImageMagick to capture screenshots.
DEB_BUILD := gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev \
             libxi-dev libxxf86vm-dev
DEB_TEST  := xvfb xauth imagemagick dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl dbus-daemon

# Every package runs with the race detector except main, whose tests start the built binary (the
# window under Xvfb, the CLI end to end) and need no instrumented copy of themselves.
CORE_PKGS = $(shell $(GO) list ./... | grep -v -e '^postbode$$' -e '^postbode/ui')
UI_PKGS   = postbode/ui/...

.PHONY: all deps deps-build build run test test-core test-ui vet bench fuzz clean package package-linux package-windows package-src

all: build

deps-build:
	@./scripts/apt-ensure.sh $(DEB_BUILD)
	@command -v $(GO) >/dev/null || ./scripts/apt-ensure.sh golang-go

deps: deps-build
	@./scripts/apt-ensure.sh $(DEB_TEST)

# OAuth2 client IDs of this build (see the README): empty unless set in the environment.
OAUTH_PKG     := postbode/accounts/oauth
OAUTH_LDFLAGS := -X $(OAUTH_PKG).microsoftClientID=$(POSTBODE_MICROSOFT_CLIENT_ID) \
                 -X $(OAUTH_PKG).googleClientID=$(POSTBODE_GOOGLE_CLIENT_ID) \
                 -X $(OAUTH_PKG).googleClientSecret=$(POSTBODE_GOOGLE_CLIENT_SECRET)

build: deps-build
	$(GO) build -ldflags "$(OAUTH_LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN) demo

vet:
	$(GO) vet ./...

test: deps vet test-core test-ui

# Courier's POP3 server, extracted (not installed: it conflicts with Dovecot) for the tests that
# run it next to Dovecot.
COURIER_DIR ?= $(CURDIR)/bin/courier

test-core:
	POSTBODE_COURIER_ROOT=$$(./scripts/courier-root.sh $(COURIER_DIR)) && export POSTBODE_COURIER_ROOT && \
		$(GO) test -race -timeout 15m $(CORE_PKGS)

test-ui: build
	$(GO) test -race -timeout 10m $(UI_PKGS)
	$(GO) test -timeout 10m postbode

# Postbode against mbsync and fetchmail on the test-bed Dovecot; writes docs/BENCHMARKS.md.
# BENCH_MESSAGES (10000) and BENCH_RUNS (3) size it; see bench/cmd/pbbench for the other knobs.
# It also measures a generated profile of 1,000,000 messages (made once, ~15 min, kept in
# BENCH_DIR/scale1m): BENCH_SCALE=0 skips it, BENCH_ONLY=scale runs only it (no mail server).
bench: deps build
	$(GO) run ./bench/cmd/pbbench

# Every fuzz target of every package, 60 s each (FUZZTIME to change).
FUZZTIME ?= 60s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep ^Fuzz); do \
			echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; done

clean:
	rm -rf bin dist

# Release packages into dist/: the Linux .tar.xz (binary, icon, .desktop that handles mailto:) and
# the Windows postbode.exe (icon and version resources), cross-built with Debian's mingw-w64; then
# the package test unpacks and runs them. macOS needs a Mac: .github/workflows/release.yml.
FYNE_TOOLS  := v1.7.4
FYNE        := $(CURDIR)/bin/tools/fyne
VERSION     := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
DEB_PACKAGE := gcc-mingw-w64-x86-64 desktop-file-utils xz-utils file
LINUX_PKG   := dist/Postbode-$(VERSION)-linux-amd64.tar.xz

package: package-linux package-windows
	rm -rf dist/src
	POSTBODE_PACKAGE_TEST=1 $(GO) test -count=1 -run '^TestPackage' -v .

# fyne package writes into the folder it builds (a bumped build number in FyneApp.toml, generated
# Go files, a Windows .syso that would break every other build there), so it runs on a copy.
package-src: deps-build
	@./scripts/apt-ensure.sh $(DEB_PACKAGE)
	GOBIN=$(CURDIR)/bin/tools $(GO) install fyne.io/tools/cmd/fyne@$(FYNE_TOOLS)
	rm -rf dist/src && mkdir -p dist/src
	tar --exclude=./dist --exclude=./bin --exclude=./.git -cf - . | tar -xf - -C dist/src

# The .desktop file gets its MimeType here: fyne's [CanOpen] would add it but also make Exec take
# files (%F) and break the bundled Makefile's install, and a mailto: handler takes a URL (%U).
package-linux: package-src
	cd dist/src && $(FYNE) package --target linux --release
	rm -rf dist/linux && mkdir -p dist/linux && tar -xJf dist/src/Postbode.tar.xz -C dist/linux
	desktop=$$(find dist/linux -name '*.desktop') && test -n "$$desktop" && \
		{ grep -q '^MimeType=' "$$desktop" || sed -i '/^Exec=/a MimeType=x-scheme-handler/mailto;' "$$desktop"; } && \
		desktop-file-validate "$$desktop"
	tar -cJf $(LINUX_PKG) -C dist/linux postbode
	rm -rf dist/linux dist/src/Postbode.tar.xz
	@echo "built $(LINUX_PKG)"

package-windows: package-src
	cd dist/src && CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(FYNE) package --target windows --release
	mv dist/src/Postbode.exe dist/postbode.exe
	@file dist/postbode.exe

