# Real proxy servers for the tests of connect(proxy=...):
# tests/proxies/ starts tinyproxy, dante-server and stunnel4
# (from Debian's packages) and pproxy (from PyPI, in .venv) on 127.0.0.1
# with configurations written at test time.
#
# proxy-deps installs the Debian packages with tests/proxies/install.sh; if
# that fails, the build goes on and the tests that need them are skipped
# loudly.

.PHONY: proxy-deps

proxy-deps:
	sh tests/proxies/install.sh

TEST_PREREQS += proxy-deps
