# actionlint for the GitHub Actions workflows, built from its Go module (pinned in tools/go/actionlint),
# with shellcheck from the distribution, which actionlint runs on every `run:` script.
# tests/test_ci_workflows.py runs `make actionlint` itself, then the linter.
TOOLS_BIN ?= .cache/tools/bin
ACTIONLINT_BIN := $(TOOLS_BIN)/actionlint

.PHONY: actionlint shellcheck lint-workflows

actionlint: $(ACTIONLINT_BIN) shellcheck ## Build actionlint (Go) and install shellcheck when missing

$(ACTIONLINT_BIN): tools/go/actionlint/go.mod tools/go/actionlint/go.sum tools/go/install
	tools/go/install actionlint $(TOOLS_BIN)

shellcheck: ## Install shellcheck (actionlint checks the workflows' scripts with it) when missing
	@command -v shellcheck >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; \
	  else echo "shellcheck is missing: install it (apt-get install shellcheck, or brew install shellcheck)" >&2; exit 1; fi; }

lint-workflows: actionlint ## actionlint (and shellcheck on the run: scripts) over .github/workflows
	$(ACTIONLINT_BIN) -shellcheck="$$(command -v shellcheck)" -pyflakes=
