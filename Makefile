# Thin wrapper over CMake, busted and ctest. Every target installs what is
# missing first (Debian packages, see scripts/deps.sh).
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= 2
MAKEFLAGS  += --no-print-directory

.PHONY: all deps build build-asan test sanitize demo bench rock lint docs install uninstall env clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DTOKENFLOW_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)

# Every test, normal and under ASan+UBSan; ends with "N passed, N failed".
test: build build-asan
	@scripts/run-tests.sh

sanitize: test

demo: build
	@lua5.4 examples/demo.lua

bench: build
	@scripts/run-bench.sh

# Installs the module, tokenflow.core and the command where Debian's lua5.4
# finds them: $(PREFIX)/share/lua/5.4, $(PREFIX)/lib/lua/5.4, $(PREFIX)/bin
# (LUADIR, LIBDIR, BINDIR override them; DESTDIR stages the install).
PREFIX ?= /usr/local
install: build
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" LUADIR="$(LUADIR)" LIBDIR="$(LIBDIR)" BINDIR="$(BINDIR)" \
	  BUILD="$(BUILD)" scripts/install.sh install

# Removes exactly what make install (same PREFIX, DESTDIR...) puts there.
uninstall:
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" LUADIR="$(LUADIR)" LIBDIR="$(LIBDIR)" BINDIR="$(BINDIR)" \
	  BUILD="$(BUILD)" scripts/install.sh uninstall

# Exports for using the build tree without installing: eval "$$(make -s env)"
env:
	@echo "export LUA_PATH='$(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;'"
	@echo "export LUA_CPATH='$(CURDIR)/$(BUILD)/?.so;;'"
	@echo "export PATH='$(CURDIR)/bin':\"\$$PATH\""

# The API reference (LDoc, config.ld) in $(BUILD)/docs; fails on any warning.
docs: deps
	@scripts/docs.sh $(BUILD)/docs

# luacheck over every Lua file (.luacheckrc); make test fails on any warning.
lint: deps
	@luacheck . --no-color --quiet --codes

# Installs the rock into a temporary tree with LuaRocks (offline) and loads it from there.
rock: deps
	@scripts/check-rock.sh

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz build-tsan build-wasm

# The WebAssembly build (docs/wasm.md): build-wasm/tokenflow.mjs, its .wasm
# and tokenflow.d.ts, with Debian's emscripten.
.PHONY: wasm wasm-deps
wasm: deps
	@scripts/wasm-build.sh

# What the WebAssembly checks and benchmarks take from npm (the registry
# only, once, into build-wasm/): playwright-core for headless Chromium, and
# the Designsystemet token set with Style Dictionary (bench/fetch-tokensets.sh).
wasm-deps:
	@scripts/wasm-deps.sh

# docs/metrics-chart.png: a measured chunked run charted by reg:svg, rendered by headless Chromium.
.PHONY: chart
chart: build
	@scripts/metrics-chart.sh

# The full out-of-memory sweep: every allocation of every host scenario
# (make test samples the largest, the update scenario, about 400 points per mode).
.PHONY: oom
oom: build
	@TF_OOM_STRIDE=1 $(BUILD)/tests/host_embed lua tests/scenarios  # TF_OOM_ONLY=name: one scenario

# Fuzzing (clang, libFuzzer): every target in fuzz/ for FUZZ_SECONDS each
# (make test runs them for 30 s each).
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_SEED=$${FUZZ_SEED:-0} scripts/checks/fuzz.sh
