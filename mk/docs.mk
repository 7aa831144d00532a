# Documentation: `make docs` builds the HTML in docs/_build/html with Sphinx.
# Warnings are errors and cross-references must resolve (-n), so a broken
# docstring or a dangling link in src/ or docs/ fails `make test`.

.PHONY: docs

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -n -q -b html docs docs/_build/html

TEST_STEPS += docs
