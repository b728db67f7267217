# curd: `make run` builds and starts a cache server; `make test` runs every test.

CARGO ?= cargo
PYTHON ?= python3
PORT ?= 8000
DIR ?= fixtures/wheels
MUSL_TARGET := x86_64-unknown-linux-musl
# Test tools (uv and twine, real clients of the server; setuptools and wheel for a
# build without isolation; today's pip and packaging, the reference implementation)
# live in their own venv, pinned in tests/tools.txt; tests/tools-wheels.txt pins the
# wheels kept beside it.
TOOLS_VENV := .tools
TOOLS := $(TOOLS_VENV)/bin
TOOLS_LOCK := tests/tools.txt
TOOLS_WHEELS := tests/tools-wheels.txt

.PHONY: build run test test-online tools garage static lint clean

build:
	$(CARGO) build --release

run: build
	./target/release/curd-server -p $(PORT) $(DIR)

# The tools venv is made again whenever the pins change; tests find it through
# CURD_TEST_TOOLS. Every package is pinned: --no-deps installs the list as it is,
# and `pip check` fails if the list lacks something one of them needs.
$(TOOLS_VENV)/installed: $(TOOLS_LOCK) $(TOOLS_WHEELS)
	find $(TOOLS_VENV) -mindepth 1 -maxdepth 1 ! -name 'garage-*' -exec rm -rf {} + 2>/dev/null || true
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS)/python -m pip install --quiet --disable-pip-version-check --no-deps -r $(TOOLS_LOCK)
	$(TOOLS)/python -m pip check --disable-pip-version-check
	$(TOOLS)/python -m pip download --quiet --disable-pip-version-check --no-deps \
		--only-binary=:all: --dest $(TOOLS_VENV)/wheels -r $(TOOLS_WHEELS)
	touch $@

tools: $(TOOLS_VENV)/installed

# Garage, the S3-compatible store the bucket tests run against (a cluster of three
# processes on loopback; AGPL, run as a program, never linked). Built once from the
# Rust registry, pinned, into its own folder beside the venv; a new pin builds anew.
GARAGE_VERSION := 2.5.0
GARAGE_ROOT := $(TOOLS_VENV)/garage-$(GARAGE_VERSION)
GARAGE := $(GARAGE_ROOT)/bin/garage

$(GARAGE):
	$(CARGO) install garage --version $(GARAGE_VERSION) --locked --root $(GARAGE_ROOT) \
		--no-default-features --features bundled-libs,lmdb

garage: $(GARAGE)

test: tools garage
	CURD_TEST_TOOLS=$(CURDIR)/$(TOOLS) CURD_TEST_GARAGE=$(CURDIR)/$(GARAGE) $(CARGO) test --all-targets

# Against real PyPI: needs the network, so never part of `make test`.
test-online: tools
	CURD_TEST_TOOLS=$(CURDIR)/$(TOOLS) $(CARGO) test --test it online -- --ignored

static:
	@command -v musl-gcc >/dev/null || (apt-get update -qq && apt-get install -y -qq musl-tools)
	rustup target add $(MUSL_TARGET)
	$(CARGO) build --release --target $(MUSL_TARGET)
	@for bin in curd curd-server; do \
		ldd target/$(MUSL_TARGET)/release/$$bin 2>&1 | grep -Eq "not a dynamic executable|statically linked" \
			|| { echo "error: $$bin is not static"; exit 1; }; \
	done
	@ls -l target/$(MUSL_TARGET)/release/curd target/$(MUSL_TARGET)/release/curd-server

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf $(TOOLS_VENV)

# Benchmarks against uv, pip, pypiserver, devpi-server and proxpi (tests/bench/, see BENCHMARKS.md); never
# part of `make test`. `make bench-data` is the only step that uses the network (pip
# download, once, into the git-ignored bench-data/); `make bench` then runs offline,
# on loopback, in under 20 minutes, and writes its tables into BENCHMARKS.md.
BENCH_DATA ?= bench-data

.PHONY: bench bench-data bench-tools bench-online

bench-data:
	$(PYTHON) tests/bench/data.py $(BENCH_DATA)

# wrk for the server scenarios and a C compiler for scenario 3's C extensions, from
# Debian when missing.
bench-tools:
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v cc >/dev/null || (apt-get update -qq && apt-get install -y -qq gcc)

bench: static bench-tools garage
	$(PYTHON) tests/bench/run.py --data $(BENCH_DATA) --out BENCHMARKS.md

# Cold installs of jupyterlab from real PyPI, curd against the pinned uv of the tools
# venv, 5 interleaved runs: needs the internet, so opt-in like test-online.
bench-online: static tools
	$(PYTHON) tests/bench/online.py
