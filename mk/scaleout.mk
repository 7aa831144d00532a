# The scale-out example (example/scaleout/, docs/deployment.rst): workers
# behind nginx, fanned out through a Redis Stream.
#
#   make scaleout-deps   install redis-server and nginx from Debian's packages
#                        (example/scaleout/install_servers.sh); part of
#                        `make test`, whose tests/scaleout needs them
#   make scaleout-demo   redis-server, nginx, 4 workers, a publisher and a few
#                        clients printing what they receive; Ctrl-C stops it
#   make bench-scaleout  delivery rate and CPU per delivered message with 1, 2
#                        and 4 workers, 1k and 10k clients; rebalancing after
#                        a restart (not part of `make test`)
#
# The redis Python package comes with requirements/test.txt: the example and
# its tests need it, the library never does. If the servers can't be
# installed, the install script says so loudly and tests/scaleout is skipped
# (loudly too).

.PHONY: scaleout-deps scaleout-demo bench-scaleout

scaleout-deps:
	sh example/scaleout/install_servers.sh

scaleout-demo: $(STAMP) scaleout-deps
	$(BIN)/python example/scaleout/demo.py

bench-scaleout: $(STAMP) scaleout-deps
	$(BIN)/python example/scaleout/bench.py

TEST_PREREQS += scaleout-deps
