# The hashicorp/aws provider, built from its Go module (tools/provider/aws-provider.json pins the version and
# the services; tools/provider/build.py explains the narrowing) into .cache/provider/, with a Terraform CLI
# configuration next to it. The Terraform tests (validate, terraform test, the apply on the emulator) run it;
# they call the same script, so `make test` needs no step before. A first build takes minutes, then seconds.
PROVIDER_PYTHON ?= $(or $(BOOTSTRAP_PYTHON),python3)

.PHONY: provider

provider: ## Build the hashicorp/aws provider the Terraform tests run (.cache/provider), when missing
	@$(PROVIDER_PYTHON) tools/provider/build.py >/dev/null
