# Two commands matter: `make run` and `make test`. Everything else is for developers.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium (never a downloaded browser) and check the
# page with axe-core from the npm registry, kept in a git-ignored folder.
CHROMIUM := /usr/bin/chromium
DEJAVU := /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
TOOLS := .test-tools
AXE := $(TOOLS)/node_modules/axe-core/axe.min.js

.PHONY: run test test-fast test-long lint lock bench clean browser axe proxy

# Installs exactly the pinned versions in requirements/dev.txt, each checked against its
# hash (a service that holds keys does not install whatever is newest), then stagemeld
# itself without resolving anything again. `make lock` regenerates the pins.
$(STAMP): pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The lock files, from pyproject.toml's dependencies (main.txt: what a server installs;
# dev.txt: that plus the dev extra), for Python 3.11, with every file's hash and the
# build backend (setuptools) pinned too. Against PyPI alone: no machine's local mirrors
# or wheel folders end up in the files. Run after changing a dependency and commit both;
# pins stay where they are unless LOCK_ARGS=--upgrade (or --upgrade-package NAME).
PIP_TOOLS := pip-tools==7.6.2
LOCK := PIP_CONFIG_FILE=/dev/null $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links --all-build-deps $(LOCK_ARGS)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet $(PIP_TOOLS)
	$(LOCK) -o requirements/main.txt pyproject.toml
	$(LOCK) --extra dev -o requirements/dev.txt pyproject.toml

run: $(STAMP)
	$(BIN)/stagemeld run $(ARGS)

# The tests come in three tiers (README, "Development"): tests/unit, tests/integration and
# tests/system. `make test` runs all three on every core with pytest-xdist, side by side:
# each test has its own tmp_path, ports and PostgreSQL database, so none is pinned to a
# worker. A worker that runs dry takes pending tests from a busy one (worksteal), as the
# longest system tests take most of a minute. TEST_WORKERS=0 runs them in one process;
# PYTEST_ARGS are added last.
TEST_WORKERS ?= auto
XDIST = -n $(TEST_WORKERS) --dist worksteal

test: $(STAMP) browser axe proxy
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# Unit and integration only: no child processes, browser, proxy or faults; the quick
# loop while changing code, `make test` before committing.
test-fast: $(STAMP)
	$(BIN)/python -m pytest $(XDIST) tests/unit tests/integration $(PYTEST_ARGS)

# The heavy fault variants (see docs/robustness.md); several minutes on two cores.
test-long: $(STAMP)
	$(BIN)/python -m pytest -m long $(PYTEST_ARGS)

# Idempotent and quiet; a machine where this cannot work skips the browser tests with
# the reason, it does not fail here. DejaVu Sans: the console's PDF embeds it for text
# beyond Latin-1.
browser:
	@test -x $(CHROMIUM) && test -f $(DEJAVU) || { echo "installing chromium and fonts (apt-get) for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o DPkg::Lock::Timeout=600 chromium fonts-dejavu-core) >/dev/null 2>&1 || \
		echo "could not install chromium: the browser tests will be skipped"; }

# HAProxy from Debian: the replica test (tests/system/replicas/test_replicas_proxy.py) and
# the bench's two-replica step put it in front of two `stagemeld run` on loopback. Like
# Chromium: installed where missing, and where it cannot be the test is skipped with the
# reason.
HAPROXY := /usr/sbin/haproxy
proxy:
	@test -x $(HAPROXY) || { echo "installing haproxy (apt-get) for the replica test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o DPkg::Lock::Timeout=600 haproxy) >/dev/null 2>&1 || \
		echo "could not install haproxy: the replica test will be skipped"; }

# axe-core (the accessibility check the web chat's browser test injects), from npm.
axe:
	@test -f $(AXE) || { command -v npm >/dev/null && \
		npm install --prefix $(TOOLS) --no-save --no-audit --no-fund --silent \
		--no-package-lock axe-core@4 >/dev/null 2>&1; } || \
		echo "could not install axe-core: the accessibility test will be skipped"

# One run: many students at once through `stagemeld run` (SQLite and PostgreSQL) and an
# echo bot, then the Argon2id storm (filing and a login while 20 status checks wait),
# then one replica against two behind HAProxy on PostgreSQL (skipped without either);
# writes the targets table and a history row into docs/performance.md. BENCH_ARGS=--quick
# for a short run that leaves the docs alone; --no-kdf-storm / --no-replicas skip parts.
bench: $(STAMP) proxy
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
