# Benchmarks: bench/run.py compares this library with aiohttp and with a raw
# asyncio.Protocol echo (see bench/README.md and docs/performance.rst).
#
# The benchmark has its own venv, bench/.venv (git-ignored): aiohttp is
# installed there, never into .venv and never as a runtime dependency, and
# this project is installed there in editable mode, so that the benchmark
# always measures the current source tree, C accelerator included.
#
# make bench        full run (5-10 minutes), writes bench/results/latest.*
#                   and the table of docs/performance.rst, then the broadcast
#                   benchmark (bench/bench_broadcast.py, about 2 minutes),
#                   which writes bench/results/broadcast.*
# make bench-quick  under a minute, for day-to-day work; writes bench/.work/
# make bench-profile  cProfile of both sides, writes bench/results/profile/
# make bench-callgrind  instructions per handshake and per round trip, with
#                   valgrind (deterministic, whatever the machine's load)
#
# bench and bench-quick measure both event loops, asyncio's default loop and
# uvloop, side by side; `bench/run.py --loop uvloop` measures one.
#
# Not part of `make test`: benchmarks on a shared machine are not pass/fail.

BENCH_VENV := bench/.venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.stamp-installed

.PHONY: bench bench-quick bench-profile bench-callgrind bench-bytecodes bench-venv

$(BENCH_STAMP): bench/requirements.txt pyproject.toml setup.py src/websockets/speedups.c src/websockets/speedups_head.c src/websockets/speedups_deadlines.c
	test -x $(BENCH_PY) || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet -r bench/requirements.txt
	$(BENCH_PY) -m pip install --quiet -e .
	touch $@

bench-venv: $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BENCH_PY) bench/run.py --full
	$(BENCH_PY) bench/bench_broadcast.py

bench-quick: $(BENCH_STAMP)
	$(BENCH_PY) bench/run.py --quick

bench-profile: $(BENCH_STAMP)
	$(BENCH_PY) bench/profiling.py

bench-callgrind: $(BENCH_STAMP)
	$(BENCH_PY) bench/callgrind.py --only handshake,conc100 --loop both

bench-bytecodes: $(BENCH_STAMP)
	$(BENCH_PY) bench/bytecodes.py --only handshake,conc100

# make bench-floor  the handshake against its floors (bench/floor.py): raw
#                   asyncio.Protocol, and the same with the 8.1 API's shape
#                   (a handler task per connection); writes bench/results/floor.md
.PHONY: bench-floor
bench-floor: $(BENCH_STAMP)
	$(BENCH_PY) bench/floor.py
