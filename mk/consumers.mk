# Consumer tests: real 8.1-era programs and frameworks, unmodified, against
# this library (tests/consumers; issue 12).
#
# consumers-deps installs each consumer in a venv of its own under
# consumers/.venvs, on CPython 3.9 from pyenv, with this library from the tree
# in place of PyPI's websockets (consumers/install.sh; idempotent, a stamp per
# venv). When a consumer can't be installed the build goes on and its tests
# are skipped loudly. `make consumers` runs the tests, outside the coverage
# gate: the library code runs in the consumers' processes.

.PHONY: consumers consumers-deps

consumers-deps:
	sh consumers/install.sh

consumers: $(STAMP) consumers-deps interop-chromium
	WEBSOCKETS_CONSUMERS=1 $(BIN)/python -m pytest tests/consumers -v -p no:cacheprovider -rs

TEST_PREREQS += consumers-deps
TEST_STEPS += consumers
