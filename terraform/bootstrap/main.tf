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

  # What terraform/ creates, by the names it gives (see its modules). The roles below live under
  # github_actions_roles_path, so role/<name_prefix>-* never matches them: the apply role cannot
  # change its own permissions or the plan role's.
  database_name     = replace(var.name_prefix, "-", "_")
  pipeline_buckets  = "arn:${local.partition}:s3:::${var.name_prefix}-*-${local.account_id}-${local.region}"
  layer_objects     = "arn:${local.partition}:s3:::${var.name_prefix}-artifacts-${local.account_id}-${local.region}/lambda-layers/*"
  functions         = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.name_prefix}-*"
  layers            = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:layer:${var.name_prefix}-*"
  pipeline_roles    = "arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-*"
  log_groups        = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"
  pipeline_logs     = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*", "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${var.name_prefix}-*"]
  alarms            = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"
  topics            = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name_prefix}-*"
  queues            = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${var.name_prefix}-*"
  schedules         = "arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule/default/${var.name_prefix}-*"
  glue_catalog      = ["arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog", "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.database_name}", "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.database_name}/*", "arn:${local.partition}:glue:${local.region}:${local.account_id}:userDefinedFunction/${local.database_name}/*"]
  athena_workgroup  = "arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${var.name_prefix}"
  http_apis         = ["arn:${local.partition}:apigateway:${local.region}::/apis", "arn:${local.partition}:apigateway:${local.region}::/apis/*", "arn:${local.partition}:apigateway:${local.region}::/tags/*"]
  pipeline_services = ["lambda.amazonaws.com", "scheduler.amazonaws.com"]
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

# Reading what terraform/ manages, for refresh (both roles). Configuration only, never the data: no
# object in the raw, enriched or results buckets is readable, only the layer package.
# Wildcards:
# - s3:Get* on bucket ARNs: the provider reads about fifteen bucket sub-resources (policy, ACL,
#   CORS, website, versioning, lifecycle, replication, encryption, logging, tags...). On a bucket
#   ARN, Get* grants only bucket-level reads: object reads need an object ARN.
# - lambda:Get* and lambda:List* on the project's function and layer ARNs: read-only calls
#   (configuration, code location, policy, concurrency, event invoke config, versions, tags).
# - logs:DescribeLogGroups takes no log group ARN, only the account's log-group:* in the Region.
# - apigateway:GET on the Region's HTTP APIs: API ids are generated, so their ARNs cannot carry the
#   name prefix.
# - sns:GetSubscriptionAttributes supports no resource ARN, so its resource is "*".
data "aws_iam_policy_document" "pipeline_read" {
  statement {
    sid       = "ReadBuckets"
    effect    = "Allow"
    actions   = ["s3:Get*", "s3:ListBucket"]
    resources = [local.pipeline_buckets]
  }

  statement {
    sid       = "ReadLayerPackage"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"]
    resources = [local.layer_objects]
  }

  statement {
    sid       = "ReadFunctions"
    effect    = "Allow"
    actions   = ["lambda:Get*", "lambda:List*"]
    resources = [local.functions, local.layers]
  }

  statement {
    sid       = "ReadRoles"
    effect    = "Allow"
    actions   = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags", "iam:ListInstanceProfilesForRole"]
    resources = [local.pipeline_roles]
  }

  statement {
    sid       = "ReadLogGroups"
    effect    = "Allow"
    actions   = ["logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup"]
    resources = [local.log_groups]
  }

  statement {
    sid       = "ReadAlarms"
    effect    = "Allow"
    actions   = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"]
    resources = [local.alarms]
  }

  statement {
    sid       = "ReadTopics"
    effect    = "Allow"
    actions   = ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"]
    resources = [local.topics]
  }

  statement {
    sid       = "ReadSubscriptions"
    effect    = "Allow"
    actions   = ["sns:GetSubscriptionAttributes"]
    resources = ["*"]
  }

  statement {
    sid       = "ReadQueues"
    effect    = "Allow"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
    resources = [local.queues]
  }

  statement {
    sid       = "ReadSchedules"
    effect    = "Allow"
    actions   = ["scheduler:GetSchedule"]
    resources = [local.schedules]
  }

  statement {
    sid       = "ReadCatalog"
    effect    = "Allow"
    actions   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetTags"]
    resources = local.glue_catalog
  }

  statement {
    sid       = "ReadWorkgroup"
    effect    = "Allow"
    actions   = ["athena:GetWorkGroup", "athena:GetNamedQuery", "athena:BatchGetNamedQuery", "athena:ListNamedQueries", "athena:ListTagsForResource"]
    resources = [local.athena_workgroup]
  }

  statement {
    sid       = "ReadHttpApis"
    effect    = "Allow"
    actions   = ["apigateway:GET"]
    resources = local.http_apis
  }
}

# Creating, changing and deleting what terraform/ manages, by name (apply role only).
# Wildcard resources:
# - apigateway on the Region's HTTP APIs: API ids are generated, so their ARNs cannot carry the
#   name prefix.
# - logs:*LogDelivery and the log resource policy calls behind API Gateway access logs (vended log
#   deliveries) support no resource ARN.
# - sns:Unsubscribe supports no resource ARN (the alarm e-mail subscription).
# Deleting objects in every pipeline bucket is for force_destroy = true (emptying buckets) and for
# replacing the layer package; reading them stays impossible.
# The role may create roles named <name_prefix>-* with any inline policy and pass them to Lambda and
# EventBridge Scheduler only: it can reach whatever such a role may do, which is why only the
# production environment (required reviewers) may assume it.
# With the deployment's KMS key: use it, and let Lambda, SQS and EventBridge Scheduler create grants
# on it for themselves (kms:GrantIsForAWSResource).
data "aws_iam_policy_document" "pipeline_write" {
  statement {
    sid       = "ManageBuckets"
    effect    = "Allow"
    actions   = ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucketVersions", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutEncryptionConfiguration", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:PutBucketTagging"]
    resources = [local.pipeline_buckets]
  }

  statement {
    sid       = "UploadLayerPackage"
    effect    = "Allow"
    actions   = ["s3:PutObject", "s3:PutObjectTagging"]
    resources = [local.layer_objects]
  }

  statement {
    sid       = "DeleteObjects"
    effect    = "Allow"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = ["${local.pipeline_buckets}/*"]
  }

  statement {
    sid       = "ManageFunctions"
    effect    = "Allow"
    actions   = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:AddPermission", "lambda:RemovePermission", "lambda:PutFunctionEventInvokeConfig", "lambda:UpdateFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig", "lambda:PublishLayerVersion", "lambda:DeleteLayerVersion", "lambda:TagResource", "lambda:UntagResource"]
    resources = [local.functions, local.layers]
  }

  statement {
    sid       = "ManageRoles"
    effect    = "Allow"
    actions   = ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:TagRole", "iam:UntagRole"]
    resources = [local.pipeline_roles]
  }

  statement {
    sid       = "PassRolesToPipelineServices"
    effect    = "Allow"
    actions   = ["iam:PassRole"]
    resources = [local.pipeline_roles]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = local.pipeline_services
    }
  }

  statement {
    sid       = "ManageLogGroups"
    effect    = "Allow"
    actions   = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"]
    resources = local.pipeline_logs
  }

  statement {
    sid       = "ManageAccessLogDelivery"
    effect    = "Allow"
    actions   = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"]
    resources = ["*"]
  }

  statement {
    sid       = "ManageAlarms"
    effect    = "Allow"
    actions   = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"]
    resources = [local.alarms]
  }

  statement {
    sid       = "ManageTopics"
    effect    = "Allow"
    actions   = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:UntagResource"]
    resources = [local.topics]
  }

  statement {
    sid       = "ManageSubscriptions"
    effect    = "Allow"
    actions   = ["sns:Unsubscribe"]
    resources = ["*"]
  }

  statement {
    sid       = "ManageQueues"
    effect    = "Allow"
    actions   = ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"]
    resources = [local.queues]
  }

  statement {
    sid       = "ManageSchedules"
    effect    = "Allow"
    actions   = ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"]
    resources = [local.schedules]
  }

  statement {
    sid       = "ManageCatalog"
    effect    = "Allow"
    actions   = ["glue:CreateDatabase", "glue:UpdateDatabase", "glue:DeleteDatabase", "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:TagResource", "glue:UntagResource"]
    resources = local.glue_catalog
  }

  statement {
    sid       = "ManageWorkgroup"
    effect    = "Allow"
    actions   = ["athena:CreateWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteWorkGroup", "athena:CreateNamedQuery", "athena:UpdateNamedQuery", "athena:DeleteNamedQuery", "athena:TagResource", "athena:UntagResource"]
    resources = [local.athena_workgroup]
  }

  statement {
    sid       = "ManageHttpApis"
    effect    = "Allow"
    actions   = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
    resources = local.http_apis
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "UseDeploymentKey"
      effect    = "Allow"
      actions   = ["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "GrantDeploymentKeyToServices"
      effect    = "Allow"
      actions   = ["kms:CreateGrant"]
      resources = [statement.value]

      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
    }
  }
}

data "aws_iam_policy_document" "apply" {
  source_policy_documents = [
    data.aws_iam_policy_document.apply_state.json,
    data.aws_iam_policy_document.pipeline_write.json,
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
  policy      = data.aws_iam_policy_document.pipeline_read.json
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
