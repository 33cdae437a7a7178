terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.48.0" # tools/provider/aws-provider.json: built and tested here; tests/data/aws_provider_api_calls.json (the CI roles' permissions) was derived for it
    }
  }

  # No backend block: the bootstrap creates the state bucket, so its own state starts local
  # (terraform.tfstate here, ignored by git). README.md shows how to move it into the bucket.
}
