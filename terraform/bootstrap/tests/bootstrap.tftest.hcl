# bootstrap: the state bucket (name, privacy, encryption, versioning, lifecycle, TLS-only policy), the
# GitHub OIDC trust of the plan and apply roles, and what each role may do.
#
# The real aws provider, offline (fake keys, no lookups), stands in for providers.tf's: it renders
# aws_iam_policy_document and aws_partition locally; the account id (an STS call) is overridden. The
# roles' trust is known at plan time when the OIDC provider's ARN is given; the state bucket's policies
# name the bucket's ARN, which a plan reads only at apply: the "rendered_policies" run applies, in a state
# of its own, with every managed resource overridden (nothing reaches the provider).

provider "aws" {
  region                      = var.aws_region
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  max_retries                 = 1
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

variables {
  github_repository = "octo-org/telegram-datalake"
  aws_region        = "sa-east-1"
}

run "state_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "telegram-datalake-tfstate-123456789012"
    error_message = "The state bucket must be <name_prefix>-tfstate-<account id>."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy
      && aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets
      && aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    )
    error_message = "The state bucket must block all public access and disable ACLs."
  }

  assert {
    condition = (
      one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
      && aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    )
    error_message = "The state bucket must be versioned, SSE-S3 without state_kms_key_arn."
  }

  assert {
    condition = (
      [for rule in aws_s3_bucket_lifecycle_configuration.state.rule : rule.id] == ["expire-noncurrent-state-versions", "abort-incomplete-multipart-uploads"]
      && aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].noncurrent_days == 90
      && aws_s3_bucket_lifecycle_configuration.state.rule[0].expiration[0].expired_object_delete_marker == true
      && aws_s3_bucket_lifecycle_configuration.state.rule[1].abort_incomplete_multipart_upload[0].days_after_initiation == 7
    )
    error_message = "Superseded state versions must expire after 90 days, incomplete uploads after 7; the current state never."
  }

  assert {
    condition = (
      aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com"
      && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    )
    error_message = "Without github_oidc_provider_arn the bootstrap creates GitHub's OIDC provider for sts.amazonaws.com."
  }
}

run "roles_trust_github" {
  command = plan

  variables {
    github_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0
    error_message = "With github_oidc_provider_arn the account's existing provider must be reused."
  }

  assert {
    condition = jsondecode(aws_iam_role.plan.assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "GitHubPullRequests"
        Effect    = "Allow"
        Action    = "sts:AssumeRoleWithWebIdentity"
        Principal = { Federated = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
        Condition = {
          StringEquals = {
            "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
            "token.actions.githubusercontent.com:sub" = "repo:octo-org/telegram-datalake:pull_request"
          }
        }
      }]
    }
    error_message = "Only pull request jobs of the repository may assume the plan role."
  }

  assert {
    condition = jsondecode(aws_iam_role.apply.assume_role_policy).Statement[0].Condition == {
      StringEquals = {
        "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
        "token.actions.githubusercontent.com:sub" = "repo:octo-org/telegram-datalake:environment:production"
      }
    }
    error_message = "Only jobs of the repository's production environment may assume the apply role."
  }

  assert {
    condition = (
      aws_iam_role.plan.name == "telegram-datalake-github-plan" && aws_iam_role.apply.name == "telegram-datalake-github-apply"
      && aws_iam_role.plan.path == "/github-actions/" && aws_iam_role.apply.path == "/github-actions/"
      && aws_iam_role.plan.max_session_duration == 3600 && aws_iam_role.apply.max_session_duration == 3600
    )
    error_message = "The roles are <name_prefix>-github-plan and -apply under /github-actions/, one-hour sessions."
  }

  assert {
    condition = (
      aws_iam_policy.pipeline_boundary.name == "telegram-datalake-ci-pipeline-boundary" && aws_iam_policy.pipeline_boundary.path == "/github-actions/"
      && jsondecode(aws_iam_policy.pipeline_boundary.policy).Statement[0] == { Sid = "PutRawUpdates", Effect = "Allow", Action = ["s3:PutObject"], Resource = ["arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*"] }
      && aws_iam_policy.read.name == "telegram-datalake-github-terraform-read"
    )
    error_message = "The boundary and read policies must be named after name_prefix and scoped to the deployment's Region and account."
  }
}

run "rendered_policies" {
  command   = apply
  state_key = "rendered"

  variables {
    github_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  override_resource {
    target = aws_s3_bucket.state
    values = { id = "telegram-datalake-tfstate-123456789012", arn = "arn:aws:s3:::telegram-datalake-tfstate-123456789012" }
  }
  override_resource {
    target = aws_s3_bucket_public_access_block.state
  }
  override_resource {
    target = aws_s3_bucket_ownership_controls.state
  }
  override_resource {
    target = aws_s3_bucket_server_side_encryption_configuration.state
  }
  override_resource {
    target = aws_s3_bucket_versioning.state
  }
  override_resource {
    target = aws_s3_bucket_lifecycle_configuration.state
  }
  override_resource {
    target = aws_s3_bucket_policy.state
  }
  override_resource {
    target = aws_iam_policy.read
    values = { arn = "arn:aws:iam::123456789012:policy/github-actions/telegram-datalake-github-terraform-read" }
  }
  override_resource {
    target = aws_iam_policy.pipeline_boundary
    values = { arn = "arn:aws:iam::123456789012:policy/github-actions/telegram-datalake-ci-pipeline-boundary" }
  }
  override_resource {
    target = aws_iam_role.plan
    values = { id = "telegram-datalake-github-plan", arn = "arn:aws:iam::123456789012:role/github-actions/telegram-datalake-github-plan" }
  }
  override_resource {
    target = aws_iam_role.apply
    values = { id = "telegram-datalake-github-apply", arn = "arn:aws:iam::123456789012:role/github-actions/telegram-datalake-github-apply" }
  }
  override_resource {
    target = aws_iam_role_policy_attachment.plan_read
  }
  override_resource {
    target = aws_iam_role_policy_attachment.apply_read
  }
  override_resource {
    target = aws_iam_role_policy.plan
  }
  override_resource {
    target = aws_iam_role_policy.apply
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.state.policy).Statement == [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::telegram-datalake-tfstate-123456789012/*", "arn:aws:s3:::telegram-datalake-tfstate-123456789012"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyOutdatedTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::telegram-datalake-tfstate-123456789012/*", "arn:aws:s3:::telegram-datalake-tfstate-123456789012"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
    error_message = "The state bucket's policy must deny plain HTTP and TLS older than 1.2, and nothing else."
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.plan.policy).Statement == [
      { Sid = "ListState", Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::telegram-datalake-tfstate-123456789012" },
      { Sid = "ReadState", Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::telegram-datalake-tfstate-123456789012/telegram-datalake/terraform.tfstate" },
      { Sid = "LockState", Effect = "Allow", Action = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], Resource = "arn:aws:s3:::telegram-datalake-tfstate-123456789012/telegram-datalake/terraform.tfstate.tflock" },
    ]
    error_message = "The plan role may read the state and write only its lock file."
  }

  assert {
    condition = [for statement in jsondecode(aws_iam_role_policy.apply.policy).Statement : statement if startswith(statement.Sid, "ListState") || startswith(statement.Sid, "WriteState") || startswith(statement.Sid, "LockState")] == [
      { Sid = "ListState", Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::telegram-datalake-tfstate-123456789012" },
      { Sid = "WriteState", Effect = "Allow", Action = ["s3:PutObject", "s3:GetObject"], Resource = "arn:aws:s3:::telegram-datalake-tfstate-123456789012/telegram-datalake/terraform.tfstate" },
      { Sid = "LockState", Effect = "Allow", Action = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], Resource = "arn:aws:s3:::telegram-datalake-tfstate-123456789012/telegram-datalake/terraform.tfstate.tflock" },
    ]
    error_message = "The apply role may read and write the state and its lock file."
  }

  assert {
    condition = [for statement in jsondecode(aws_iam_role_policy.apply.policy).Statement : statement.Condition if statement.Sid == "ManageRolesWithTheBoundary"] == [
      { StringEquals = { "iam:PermissionsBoundary" = "arn:aws:iam::123456789012:policy/github-actions/telegram-datalake-ci-pipeline-boundary" } }
    ]
    error_message = "The apply role may create roles only with the boundary this bootstrap creates."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.plan_read.policy_arn == aws_iam_policy.read.arn && aws_iam_role_policy_attachment.apply_read.policy_arn == aws_iam_policy.read.arn
    error_message = "Both roles must carry the read policy."
  }
}

run "reject_state_bucket_named_like_a_pipeline_bucket" {
  command = plan

  variables {
    state_bucket_name = "telegram-datalake-state-123456789012-sa-east-1"
  }

  expect_failures = [aws_s3_bucket.state]
}

run "reject_repository_without_owner" {
  command = plan

  variables {
    github_repository = "telegram-datalake"
  }

  expect_failures = [var.github_repository]
}
