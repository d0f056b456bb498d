# openspec-sync — every entry point installs what it needs first.
SWIFT    ?= swift
PREFIX   ?= /usr/local
REPO     ?=
DB       ?=
BIN      := .build/debug/openspec-sync
RELEASE  := .build/release/openspec-sync
DEMO     := $(CURDIR)/demo
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DBFLAG   := $(if $(DB),--db $(DB),)
SOAK_ARGS ?=
VENV     := .venv-browser
CORPUS_TOOL ?= ../shared/tools/gen_corpus.py

.PHONY: all deps bench-deps build release test test-browser soak run demo bench install clean

all: build

## deps: install the system packages the build and tests need (libgit2-dev, git, sqlite3, python3,
## postgresql for the PostgreSQL store's tests;
## chromium, chromium-driver and python3-venv for the browser tests)
deps:
	@command -v $(SWIFT) >/dev/null || { echo "error: the Swift 6 toolchain is not on PATH; install it from swift.org first" >&2; exit 1; }
	@missing=""; \
	pkg-config --exists libgit2 2>/dev/null || missing="$$missing libgit2-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v sqlite3 >/dev/null || missing="$$missing sqlite3"; \
	command -v python3 >/dev/null || missing="$$missing python3"; \
	command -v readelf >/dev/null || missing="$$missing binutils"; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	[ -f /usr/include/sqlite3.h ] || missing="$$missing libsqlite3-dev"; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	python3 -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing (browser tests):$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## bench-deps: the load generator and the static floor of the API figures (wrk, nginx), from Debian
bench-deps: deps
	@missing=""; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  echo "installing (benchmarks):$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: debug build of the executable and libraries
build: deps
	$(SWIFT) build

## release: optimised build with the Swift runtime linked in (starts in a third of the time),
## position-independent (checked). SKIP_CA_BUNDLE=1 (the default) links the executable so that
## libgit2's start-up does not parse the system's CA bundle; SKIP_CA_BUNDLE= builds without it.
SKIP_CA_BUNDLE ?= 1
CA_BUNDLE_FLAGS := $(if $(SKIP_CA_BUNDLE),-Xlinker --defsym=mbedtls_x509_crt_parse_file=openspec_git_skip_ca_bundle_file)
release: deps
	$(SWIFT) build -c release --static-swift-stdlib $(CA_BUNDLE_FLAGS)
	@readelf -h $(RELEASE) | grep -q 'Type: *DYN' || { echo "error: $(RELEASE) is not position-independent (readelf -h does not say DYN)" >&2; exit 1; }

## test: every test target, on real git repositories and SQLite files (one at a time:
## the watcher, daemon and crash tests measure time and share 2 cores)
test: deps
	$(SWIFT) build --build-tests
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	TMPDIR="$$scratch" $(SWIFT) test --skip-build --no-parallel
	@$(MAKE) --no-print-directory test-browser

## test-browser: the dashboard in headless Chromium (Selenium from $(VENV), made here), on a
## 2,000-change repository from $(CORPUS_TOOL); writes the screenshots in docs/images/
test-browser: build $(VENV)/.ready
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	TMPDIR="$$scratch" $(VENV)/bin/python Tests/Browser/dashboard_test.py --binary $(BIN) \
	  --corpus-tool $(CORPUS_TOOL) --screenshots docs/images

$(VENV)/.ready:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q 'selenium>=4.11,<5'
	touch $@

## soak: debug build, then kill -9 a first import, a task-toggle loop and a rollback at random
## moments on a 2,000-change repository and check nothing is lost or torn (docs/reliability.md;
## about 15 minutes on 2 busy cores; SOAK_ARGS="--seed N --import-trials N --toggle-trials N --rollback-trials N --changes N")
soak: build
	python3 Tests/Soak/soak.py --binary $(BIN) $(SOAK_ARGS)

## run: sync the demo repository (made from Fixtures/demo) or REPO=path, show status and list,
## then keep it in sync: the daemon with the file watcher and the web dashboard, until Ctrl-C
run: build
	@if [ -z "$(REPO)" ]; then $(MAKE) --no-print-directory demo; fi
	@repo="$(if $(REPO),$(REPO),$(DEMO))"; \
	$(BIN) init --repo "$$repo" $(DBFLAG) && \
	$(BIN) reconcile --repo "$$repo" $(DBFLAG); rc=$$?; [ $$rc = 0 ] || [ $$rc = 3 ] || exit $$rc; \
	$(BIN) status $(DBFLAG) && echo && \
	$(BIN) list --all --repo "$$repo" $(DBFLAG) && echo && \
	echo "Keeping $$repo in sync (scan every 30 s, file watcher on). Stop with Ctrl-C." && \
	echo "Edit a file under $$repo/openspec and run \`$(BIN) list --repo $$repo\` in another terminal to see it." && \
	echo "The dashboard: open the address on the \"Dashboard:\" line below in a browser (it signs you in once)." && \
	exec $(BIN) run --watch --serve $(DBFLAG)

## demo: a small git repository made from Fixtures/demo (kept between runs; delete demo/ to start over)
demo:
	@if [ ! -d "$(DEMO)/.git" ]; then \
	  mkdir -p "$(DEMO)" && cp -R Fixtures/demo/. "$(DEMO)/" && \
	  git -C "$(DEMO)" init -q -b main && \
	  git -C "$(DEMO)" add -A && \
	  git -C "$(DEMO)" -c user.name=openspec-sync-demo -c user.email=demo@example.invalid commit -q -m "Demo OpenSpec project" && \
	  echo "made the demo repository $(DEMO)"; \
	fi

## bench: release build, then the performance figures of docs/performance.md (takes several minutes;
## the dashboard figures run in headless Chromium with Selenium from $(VENV); the API figures under
## wrk, beside nginx serving the same bytes)
bench: release bench-deps $(VENV)/.ready
	python3 Benchmarks/bench.py --binary $(RELEASE)

install: release
	install -d $(PREFIX)/bin
	install -m 0755 $(RELEASE) $(PREFIX)/bin/openspec-sync

clean:
	rm -rf .build demo bench-out $(VENV)
