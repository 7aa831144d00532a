# Autobahn|Testsuite compliance runs (see compliance/README.rst).
#
#   make compliance-install  install the suite (CPython 2.7) in compliance/.autobahn
#   make compliance          subset of the cases, both ways; part of `make test`
#   make compliance-full     all sections (1-7, 9, 10, 12, 13), both ways
#
# The suite needs CPython 2.7.18 from pyenv; set AUTOBAHN_PYTHON to use
# another 2.7 interpreter. Reports land in compliance/reports/.

AUTOBAHN_DIR := compliance/.autobahn
AUTOBAHN_STAMP := $(AUTOBAHN_DIR)/.stamp-installed
# Expanded by the shell at run time, not by make.
AUTOBAHN_PYTHON ?= $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/2.7.18/bin/python

.PHONY: compliance compliance-full compliance-install

$(AUTOBAHN_STAMP): compliance/requirements-autobahn.txt
	@py2="$(AUTOBAHN_PYTHON)"; \
	if [ ! -x "$$py2" ]; then \
		echo "error: CPython 2.7.18 not found at $$py2" >&2; \
		echo "Autobahn|Testsuite needs it: run 'pyenv install 2.7.18'," >&2; \
		echo "or set AUTOBAHN_PYTHON to a Python 2.7 interpreter." >&2; \
		exit 1; \
	fi; \
	echo "installing Autobahn|Testsuite in $(AUTOBAHN_DIR) with $$py2"; \
	rm -rf $(AUTOBAHN_DIR) && \
	PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore "$$py2" -m pip install \
		--quiet --no-warn-script-location --no-compile \
		--target $(AUTOBAHN_DIR) -r compliance/requirements-autobahn.txt && \
	"$$py2" compliance/wstest.py --autobahnversion && \
	touch $@

compliance-install: $(AUTOBAHN_STAMP)

compliance: $(STAMP) $(AUTOBAHN_STAMP)
	AUTOBAHN_PYTHON="$(AUTOBAHN_PYTHON)" $(BIN)/python compliance/run.py

compliance-full: $(STAMP) $(AUTOBAHN_STAMP)
	AUTOBAHN_PYTHON="$(AUTOBAHN_PYTHON)" $(BIN)/python compliance/run.py --full

TEST_STEPS += compliance
