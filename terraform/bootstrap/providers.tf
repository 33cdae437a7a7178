provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(
      {
        Project   = "telegram-datalake"
        ManagedBy = "terraform"
        Component = "ci-bootstrap"
      },
      var.tags,
    )
  }
}
