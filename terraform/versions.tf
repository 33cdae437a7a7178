terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.48.0" # tools/provider/aws-provider.json: built and tested here; tests/data/aws_provider_api_calls.json (the CI roles' permissions) was derived for it
    }
  }

  # No backend block: state is local by default (terraform.tfstate, ignored by git). CI supplies an
  # S3 backend through an override file (e.g. backend_override.tf) with `use_lockfile = true`, so
  # state locking needs no DynamoDB table.
}
