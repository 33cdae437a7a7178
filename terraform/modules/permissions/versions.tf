terraform {
  required_version = ">= 1.10"

  # No provider: the module only computes policy documents, so Terraform can render (and the tests
  # can check) them without AWS credentials or a provider plugin.
}
