# One-time setup for deploying from GitHub Actions without long-lived AWS keys: the S3 bucket of the
# deployment's Terraform state, GitHub's OIDC identity provider, and two roles GitHub Actions assumes
# with a short-lived OIDC token:
# - plan: pull requests of var.github_repository only; reads the deployment, never its data;
# - apply: the repository's `production` environment only; manages what terraform/ creates, by name.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.aws_region

  state_bucket_name = var.state_bucket_name != null ? var.state_bucket_name : "${var.name_prefix}-tfstate-${local.account_id}"

  github_oidc_host          = "token.actions.githubusercontent.com"
  github_oidc_audience      = "sts.amazonaws.com"
  github_oidc_provider_arn  = var.github_oidc_provider_arn != null ? var.github_oidc_provider_arn : aws_iam_openid_connect_provider.github[0].arn
  plan_subject              = "repo:${var.github_repository}:pull_request"
  apply_environment         = "production"
  apply_subject             = "repo:${var.github_repository}:environment:${local.apply_environment}"
  github_actions_roles_path = "/github-actions/"

  # The pipeline's roles get this boundary; the apply role may create roles only with it attached.
  boundary_policy_name = "${var.name_prefix}-ci-pipeline-boundary"
}

################################################################################
# State bucket
################################################################################

# Private, versioned, encrypted and TLS-only; old state versions expire after a while. Terraform
# (>= 1.10) locks the state with a <key>.tflock object in this bucket: no DynamoDB table.
resource "aws_s3_bucket" "state" {
  bucket = local.state_bucket_name

  tags = { Name = local.state_bucket_name, Purpose = "terraform-state" }

  lifecycle {
    # checkov:skip=CKV_AWS_18:Access logs would need a log bucket of their own; the state's history is kept as object versions, and CloudTrail data events can audit access.
    # checkov:skip=CKV_AWS_144:Cross-region replication would double a few kilobytes for little gain; versioning and prevent_destroy protect the state.
    # checkov:skip=CKV2_AWS_62:Nothing consumes events of the state bucket.
    # checkov:skip=CKV_AWS_145:SSE-S3 by default, SSE-KMS when state_kms_key_arn is set; a customer managed key is the operator's choice, not a requirement.
    prevent_destroy = true

    precondition {
      condition     = !(startswith(local.state_bucket_name, "${var.name_prefix}-") && endswith(local.state_bucket_name, "-${local.account_id}-${local.region}"))
      error_message = "state_bucket_name ${local.state_bucket_name} looks like a pipeline bucket (<name_prefix>-*-<account>-<region>), which the apply role may reconfigure and delete: choose another name."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.state_kms_key_arn != null ? "aws:kms" : "AES256"
      kms_master_key_id = var.state_kms_key_arn
    }
    bucket_key_enabled = var.state_kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

# Superseded state versions (one per apply) and stale delete markers go after a while; the current
# state never expires.
resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-noncurrent-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.state_noncurrent_version_expiration_days
    }

    expiration {
      expired_object_delete_marker = true
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

# Deny every request over plain HTTP or TLS older than 1.2.
data "aws_iam_policy_document" "state_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.state]
}

################################################################################
# GitHub OIDC identity provider
################################################################################

# AWS trusts GitHub's OIDC endpoint through its own root certificate authorities, so no thumbprint
# is needed. An account holds one provider per URL: pass github_oidc_provider_arn to reuse it.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.github_oidc_provider_arn == null ? 1 : 0

  url            = "https://${local.github_oidc_host}"
  client_id_list = [local.github_oidc_audience]

  tags = { Name = "github-actions" }
}

################################################################################
# Trust: which GitHub workflow runs may assume which role
################################################################################

# Only jobs of pull requests in var.github_repository (the `pull_request` event; GitHub issues no
# OIDC token to pull requests from forks).
data "aws_iam_policy_document" "plan_trust" {
  statement {
    sid     = "GitHubPullRequests"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = [local.github_oidc_audience]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = [local.plan_subject]
    }
  }
}

# Only jobs that run in the repository's `production` environment, whose protection rules (required
# reviewers, deployment branch main) GitHub enforces before the job gets a token.
data "aws_iam_policy_document" "apply_trust" {
  statement {
    sid     = "GitHubProductionEnvironment"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:aud"
      values   = [local.github_oidc_audience]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.github_oidc_host}:sub"
      values   = [local.apply_subject]
    }
  }
}

################################################################################
# Permissions
################################################################################

# Plan: the state object read-only (plan never writes state) and the lock file read-write (plan
# takes the lock), plus the state key when there is one.
data "aws_iam_policy_document" "plan_state" {
  statement {
    sid       = "ListState"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }

  statement {
    sid       = "ReadState"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.state.arn}/${var.state_key}"]
  }

  statement {
    sid       = "LockState"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.state.arn}/${var.state_key}.tflock"]
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]

    content {
      sid       = "UseStateKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

# Apply: the state object and the lock file read-write.
data "aws_iam_policy_document" "apply_state" {
  statement {
    sid       = "ListState"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.state.arn]
  }

  statement {
    sid       = "WriteState"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${aws_s3_bucket.state.arn}/${var.state_key}"]
  }

  statement {
    sid       = "LockState"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.state.arn}/${var.state_key}.tflock"]
  }

  dynamic "statement" {
    for_each = var.state_kms_key_arn == null ? [] : [var.state_kms_key_arn]

    content {
      sid       = "UseStateKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

# What the deployment's roles, the plan role and the apply role may do to what terraform/ creates, by
# its names: documents computed by modules/permissions, which tests/test_iam_coverage.py renders and
# checks against every API call the aws provider makes for the resource types terraform/ uses.
module "permissions" {
  source = "../modules/permissions"

  name_prefix          = var.name_prefix
  region               = local.region
  account_id           = local.account_id
  partition            = local.partition
  kms_key_arn          = var.kms_key_arn
  boundary_policy_name = local.boundary_policy_name
  boundary_policy_path = local.github_actions_roles_path
}

data "aws_iam_policy_document" "apply" {
  source_policy_documents = [
    data.aws_iam_policy_document.apply_state.json,
    module.permissions.apply_policy_json,
  ]
}

################################################################################
# Roles
################################################################################

# Both roles read the deployment through one managed policy (it would not fit twice within a role's
# 10,240 characters of inline policy); each role's own grants are inline.
resource "aws_iam_policy" "read" {
  name        = "${var.name_prefix}-github-terraform-read"
  path        = local.github_actions_roles_path
  description = "GitHub Actions: read what the ${var.name_prefix} Terraform configuration manages (refresh), never its data"
  policy      = module.permissions.read_policy_json
}

# The permissions boundary of every role terraform/ creates in CI (permissions_boundary_arn): the most
# those roles may ever do. Only an administrator applying this module can change it.
resource "aws_iam_policy" "pipeline_boundary" {
  name        = local.boundary_policy_name
  path        = local.github_actions_roles_path
  description = "Permissions boundary of the roles the ${var.name_prefix} Terraform configuration creates: its own data, logs, queues, functions, webhook secret and key only"
  policy      = module.permissions.boundary_policy_json
}

resource "aws_iam_role" "plan" {
  name                 = "${var.name_prefix}-github-plan"
  path                 = local.github_actions_roles_path
  description          = "GitHub Actions: terraform plan for pull requests of ${var.github_repository} (read-only)"
  assume_role_policy   = data.aws_iam_policy_document.plan_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "plan_read" {
  role       = aws_iam_role.plan.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy" "plan" {
  name   = "terraform-plan-state"
  role   = aws_iam_role.plan.id
  policy = data.aws_iam_policy_document.plan_state.json
}

resource "aws_iam_role" "apply" {
  name                 = "${var.name_prefix}-github-apply"
  path                 = local.github_actions_roles_path
  description          = "GitHub Actions: terraform apply from the ${local.apply_environment} environment of ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.apply_trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "apply_read" {
  role       = aws_iam_role.apply.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_role_policy" "apply" {
  name   = "terraform-apply"
  role   = aws_iam_role.apply.id
  policy = data.aws_iam_policy_document.apply.json
}
