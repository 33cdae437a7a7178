# tflint over every Terraform module: `make lint-terraform`, and tests/test_tflint.py (part of `make test`).
# Both pass this file by absolute path (--recursive loads the config relative to each module otherwise)
# and set TFLINT_PLUGIN_DIR to .cache/tools/tflint.d/plugins, where `make tflint` builds the AWS ruleset
# from its Go module (tools/go/tflint-ruleset-aws): no `source` or `version` here, so `tflint --init`
# downloads nothing.
config {
  # The modules of terraform/modules are local: inspected through their calls too.
  call_module_type = "local"
}

# Terraform language rules (bundled with tflint): the recommended preset.
plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

# AWS rules: invalid instance types, names, ARNs and enum values... (no deep check: no AWS credentials).
plugin "aws" {
  enabled = true
}
