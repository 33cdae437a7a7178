# terraform-docs, built from its Go module (pinned in tools/go/terraform-docs): the Requirements,
# Providers, Modules, Resources, Inputs and Outputs tables of each Terraform module's README, between
# its <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS --> markers (.terraform-docs.yml).
# tests/test_terraform_docs.py runs `make terraform-docs` itself, then checks that no table is stale.
TOOLS_BIN ?= .cache/tools/bin
TERRAFORM_DOCS_BIN := $(TOOLS_BIN)/terraform-docs
# Every module with a README: the bootstrap and the modules (the root module is documented in README.md).
TERRAFORM_DOCS_MODULES := $(patsubst %/README.md,%,$(wildcard terraform/bootstrap/README.md terraform/modules/*/README.md))

.PHONY: terraform-docs docs

terraform-docs: $(TERRAFORM_DOCS_BIN) ## Build terraform-docs (Go) when missing or re-pinned

$(TERRAFORM_DOCS_BIN): tools/go/terraform-docs/go.mod tools/go/terraform-docs/go.sum tools/go/install
	tools/go/install terraform-docs $(TOOLS_BIN)

docs: $(TERRAFORM_DOCS_BIN) ## Rewrite the inputs/outputs tables of the Terraform module READMEs (terraform-docs)
	@for module in $(TERRAFORM_DOCS_MODULES); do \
	  $(TERRAFORM_DOCS_BIN) --config .terraform-docs.yml "$$module"; \
	done
