# Interop tests against real peers: tests/interop.
#
# interop-deps installs the peers that aren't Python packages:
# - Node.js ws, with npm ci from interop/package-lock.json, into
#   interop/node_modules (rerun when the lock file is newer);
# - headless Chromium, from Debian's packages (interop/install_chromium.sh);
#   if that fails, the build goes on and the Chromium test is skipped loudly.
# aiohttp is a Python test dependency (requirements/test.txt).

NPM ?= npm

.PHONY: interop-deps interop interop-chromium

interop/node_modules: interop/package-lock.json interop/package.json
	$(NPM) ci --prefix interop --no-audit --no-fund
	touch $@

interop-chromium:
	sh interop/install_chromium.sh

interop-deps: interop/node_modules interop-chromium

interop: $(STAMP) interop-deps
	$(BIN)/python -m pytest tests/interop -v -p no:cacheprovider

TEST_PREREQS += interop-deps
