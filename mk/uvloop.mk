# The loopback test suite on uvloop's event loop, after the run on asyncio's
# default loop: `pytest --event-loop=uvloop` (tests/conftest.py) selects the
# tests that run on an event loop and runs them on uvloop. uvloop is a test
# dependency (requirements/test.txt), never a runtime one: it's the optional
# fast path of docs/performance.rst.
#
# Outside the coverage measurement (the default-loop run holds the 100%
# branch gate). The interop tests and the example programs run their peers in
# subprocesses on the default loop: they're left to the default-loop run.

.PHONY: test-uvloop

test-uvloop: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider --event-loop=uvloop \
		--ignore=tests/interop --ignore=tests/test_examples.py \
		--ignore=tests/test_main.py

TEST_STEPS += test-uvloop
