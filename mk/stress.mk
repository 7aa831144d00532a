# make stress: hostile peers against a websockets server or client running in
# a process of its own (bench/stress/run.py): ping floods from peers that
# never read, frames pipelined during a slow handshake, endless fragmented
# messages, floods of data; 10 s each, peak RSS growth against the bound of
# docs/security.rst. Then 10,000 idle connections held for 30 s with
# keepalive pings: KiB per connection, handshakes per second, and the time
# server.close() takes.
#
# Not part of `make test`: it takes about two minutes and measures processes
# on a shared machine. STRESS_ARGS passes options, e.g.
#   make stress STRESS_ARGS="--duration 3 --idle 1000 --hold 10"

STRESS_ARGS ?=

.PHONY: stress

stress: $(STAMP)
	$(BIN)/python bench/stress/run.py $(STRESS_ARGS)
