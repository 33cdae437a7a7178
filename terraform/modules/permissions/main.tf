# Who may do what to a deployment of terraform/, as IAM policy documents (JSON):
# - boundary: the permissions boundary of every role terraform/ creates, the most a pipeline role may
#   ever do, whatever its inline policy says;
# - read: what both CI roles need to refresh the deployment (plan), and nothing of the chat's data, the
#   webhook secret or the pseudonym key, which it explicitly denies;
# - apply: what the apply role needs to create, change and delete the deployment, and no more: roles
#   only with the boundary attached, never a change to the boundary itself.
# SSM parameters (local.parameters): /<name_prefix> and everything under it, where the pseudonym key of
# pseudonymised analytics must be named. No Terraform resource manages it (`telegram-datalake pseudonym-key
# init` writes it), so these documents need not know its exact name: the ETL's own policy names it.
# GetParametersByPath is authorised on the path itself, hence both ARNs in the read policy's deny.
# Every action and resource here comes from the API calls the aws provider makes for the resource
# types terraform/ uses (tests/data/aws_provider_api_calls.json); tests/test_iam_coverage.py renders
# these documents with Terraform and checks each call against them.

locals {
  p = var.partition
  r = var.region
  a = var.account_id
  n = var.name_prefix

  boundary_policy_arn = "arn:${local.p}:iam::${local.a}:policy${var.boundary_policy_path}${var.boundary_policy_name}"
  database_name       = replace(local.n, "-", "_")

  # What terraform/ creates, by the names its modules give.
  buckets          = "arn:${local.p}:s3:::${local.n}-*-${local.a}-${local.r}"
  bucket_objects   = "arn:${local.p}:s3:::${local.n}-*-${local.a}-${local.r}/*"
  data_objects     = [for purpose in ["raw", "enriched", "athena-results"] : "arn:${local.p}:s3:::${local.n}-${purpose}-${local.a}-${local.r}/*"]
  raw_bucket       = "arn:${local.p}:s3:::${local.n}-raw-${local.a}-${local.r}"
  enriched_bucket  = "arn:${local.p}:s3:::${local.n}-enriched-${local.a}-${local.r}"
  enriched_objects = "arn:${local.p}:s3:::${local.n}-enriched-${local.a}-${local.r}/*"
  layer_objects    = "arn:${local.p}:s3:::${local.n}-artifacts-${local.a}-${local.r}/lambda-layers/*"
  functions        = "arn:${local.p}:lambda:${local.r}:${local.a}:function:${local.n}-*"
  layers           = "arn:${local.p}:lambda:${local.r}:${local.a}:layer:${local.n}-*"
  roles            = "arn:${local.p}:iam::${local.a}:role/${local.n}-*"
  log_groups       = "arn:${local.p}:logs:${local.r}:${local.a}:log-group:*"
  pipeline_logs    = ["arn:${local.p}:logs:${local.r}:${local.a}:log-group:/aws/lambda/${local.n}-*", "arn:${local.p}:logs:${local.r}:${local.a}:log-group:/aws/apigateway/${local.n}-*"]
  function_logs    = "arn:${local.p}:logs:${local.r}:${local.a}:log-group:/aws/lambda/${local.n}-*:*"
  alarms           = "arn:${local.p}:cloudwatch:${local.r}:${local.a}:alarm:${local.n}-*"
  topics           = "arn:${local.p}:sns:${local.r}:${local.a}:${local.n}-*"
  queues           = "arn:${local.p}:sqs:${local.r}:${local.a}:${local.n}-*"
  schedules        = "arn:${local.p}:scheduler:${local.r}:${local.a}:schedule/default/${local.n}-*"
  glue_catalog     = ["arn:${local.p}:glue:${local.r}:${local.a}:catalog", "arn:${local.p}:glue:${local.r}:${local.a}:database/${local.database_name}", "arn:${local.p}:glue:${local.r}:${local.a}:table/${local.database_name}/*", "arn:${local.p}:glue:${local.r}:${local.a}:userDefinedFunction/${local.database_name}/*"]
  workgroup        = "arn:${local.p}:athena:${local.r}:${local.a}:workgroup/${local.n}"
  http_apis        = ["arn:${local.p}:apigateway:${local.r}::/apis", "arn:${local.p}:apigateway:${local.r}::/apis/*", "arn:${local.p}:apigateway:${local.r}::/tags/*"]
  secrets          = "arn:${local.p}:secretsmanager:${local.r}:${local.a}:secret:${local.n}-*"
  parameters       = ["arn:${local.p}:ssm:${local.r}:${local.a}:parameter/${local.n}", "arn:${local.p}:ssm:${local.r}:${local.a}:parameter/${local.n}/*"]
  passed_to        = ["lambda.amazonaws.com", "scheduler.amazonaws.com"]
  keys             = var.kms_key_arn == null ? [] : [var.kms_key_arn]

  ##############################################################################
  # Permissions boundary of the pipeline's roles (ingest, ETL, scheduler)
  ##############################################################################

  boundary_statements = concat(
    [
      { Sid = "PutRawUpdates", Effect = "Allow", Action = ["s3:PutObject"], Resource = ["${local.raw_bucket}/*"] },
      { Sid = "ListRawUpdates", Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.raw_bucket] },
      { Sid = "ReadRawUpdates", Effect = "Allow", Action = ["s3:GetObject"], Resource = ["${local.raw_bucket}/*"] },
      # Writing a day's Parquet file, and removing it when a rebuild of the day has no rows.
      { Sid = "ListParquet", Effect = "Allow", Action = ["s3:ListBucket"], Resource = [local.enriched_bucket] },
      { Sid = "WriteParquet", Effect = "Allow", Action = ["s3:PutObject", "s3:DeleteObject"], Resource = [local.enriched_objects] },
      { Sid = "WriteFunctionLogs", Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = [local.function_logs] },
      { Sid = "SendToDeadLetterQueues", Effect = "Allow", Action = ["sqs:SendMessage"], Resource = [local.queues] },
      { Sid = "InvokePipelineFunctions", Effect = "Allow", Action = ["lambda:InvokeFunction"], Resource = [local.functions] },
      { Sid = "ReadWebhookSecret", Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = [local.secrets] },
      # The ETL's pseudonym key, when the deployment pseudonymises its tables (it must be named /<name_prefix>/...).
      { Sid = "ReadPseudonymKey", Effect = "Allow", Action = ["ssm:GetParameter"], Resource = [local.parameters[1]] },
    ],
    [for key in local.keys : { Sid = "UseDeploymentKey", Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = [key] }],
  )

  ##############################################################################
  # Read: refreshing the deployment (both CI roles)
  ##############################################################################

  # Wildcards, each because nothing narrower does the job:
  # - s3:Get* on bucket ARNs: the provider reads fifteen bucket sub-resources (policy, ACL, CORS,
  #   website, versioning, lifecycle, replication, encryption, logging, object lock...). On a bucket
  #   ARN, Get* grants bucket-level reads only: object reads need an object ARN.
  # - lambda:Get* and lambda:List* on the project's function and layer ARNs: read-only calls.
  # - logs:DescribeLogGroups takes no log group ARN, only the account's log-group:* in the Region.
  # - apigateway:GET on the Region's HTTP APIs: API ids are generated, so their ARNs cannot carry the
  #   name prefix.
  # - sns:GetSubscriptionAttributes supports no resource ARN, so its resource is "*".
  read_statements = concat(
    [
      { Sid = "ReadBuckets", Effect = "Allow", Action = ["s3:Get*", "s3:ListBucket", "s3:ListTagsForResource"], Resource = [local.buckets] },
      { Sid = "ReadLayerPackage", Effect = "Allow", Action = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"], Resource = [local.layer_objects] },
      { Sid = "ReadFunctions", Effect = "Allow", Action = ["lambda:Get*", "lambda:List*"], Resource = [local.functions, local.layers] },
      { Sid = "ReadRoles", Effect = "Allow", Action = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"], Resource = [local.roles] },
      { Sid = "ReadLogGroups", Effect = "Allow", Action = ["logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:DescribeMetricFilters"], Resource = [local.log_groups] },
      { Sid = "ReadAlarms", Effect = "Allow", Action = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"], Resource = [local.alarms] },
      { Sid = "ReadTopics", Effect = "Allow", Action = ["sns:GetTopicAttributes", "sns:ListTagsForResource"], Resource = [local.topics] },
      { Sid = "ReadSubscriptions", Effect = "Allow", Action = ["sns:GetSubscriptionAttributes"], Resource = ["*"] },
      { Sid = "ReadQueues", Effect = "Allow", Action = ["sqs:GetQueueAttributes", "sqs:ListQueueTags"], Resource = [local.queues] },
      { Sid = "ReadSchedules", Effect = "Allow", Action = ["scheduler:GetSchedule"], Resource = [local.schedules] },
      { Sid = "ReadCatalog", Effect = "Allow", Action = ["glue:GetDatabase", "glue:GetTable", "glue:GetTags", "glue:GetPartitionIndexes"], Resource = local.glue_catalog },
      { Sid = "ReadWorkgroup", Effect = "Allow", Action = ["athena:GetWorkGroup", "athena:GetNamedQuery", "athena:ListTagsForResource"], Resource = [local.workgroup] },
      { Sid = "ReadHttpApis", Effect = "Allow", Action = ["apigateway:GET"], Resource = local.http_apis },
      { Sid = "ReadSecretMetadata", Effect = "Allow", Action = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"], Resource = [local.secrets] },
      # Never the chat's data, the webhook secret's value or the pseudonym key, even if a grant above is
      # widened one day. The key is denied to the apply role too (it shares this policy): Terraform neither
      # reads nor writes it, and a new one would change every pseudonym.
      { Sid = "DenyChatData", Effect = "Deny", Action = ["s3:GetObject", "s3:GetObjectVersion"], Resource = local.data_objects },
      { Sid = "DenyWebhookSecretValue", Effect = "Deny", Action = ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage", "secretsmanager:RestoreSecret"], Resource = [local.secrets] },
      { Sid = "DenyPseudonymKey", Effect = "Deny", Action = ["ssm:GetParameter*", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:LabelParameterVersion"], Resource = local.parameters },
    ],
    # A function's environment and a schedule's input, encrypted with the deployment's key, are decrypted
    # by Lambda and EventBridge Scheduler to return them.
    [for key in local.keys : { Sid = "ReadWithDeploymentKey", Effect = "Allow", Action = ["kms:Decrypt"], Resource = [key], Condition = { StringEquals = { "kms:ViaService" = ["lambda.${local.r}.amazonaws.com", "scheduler.${local.r}.amazonaws.com"] } } }],
  )

  ##############################################################################
  # Apply: creating, changing and deleting the deployment (apply role only)
  ##############################################################################

  # Wildcard resources:
  # - logs:*LogDelivery, the log resource policy calls and logs:CreateLogGroup behind API Gateway access
  #   logs (vended log deliveries: API Gateway's documented caller permissions) support no resource ARN.
  # - sns:Unsubscribe supports no resource ARN (the alarm e-mail subscription).
  # Deleting objects in every pipeline bucket is for force_destroy = true (emptying buckets) and for
  # replacing the layer package; reading them stays impossible (DenyChatData).
  # Roles: created and changed only with the deployment's boundary attached; the boundary itself and
  # its attachment cannot be changed. The apply role may still change a role's trust policy (IAM has
  # no condition on it), but the boundary caps what any session of that role may do.
  apply_statements = concat(
    [
      { Sid = "ManageBuckets", Effect = "Allow", Action = ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucketVersions", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutEncryptionConfiguration", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration", "s3:TagResource", "s3:UntagResource"], Resource = [local.buckets] },
      { Sid = "UploadLayerPackage", Effect = "Allow", Action = ["s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:AbortMultipartUpload"], Resource = [local.layer_objects] },
      { Sid = "DeleteObjects", Effect = "Allow", Action = ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resource = [local.bucket_objects] },
      { Sid = "ManageFunctions", Effect = "Allow", Action = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency", "lambda:AddPermission", "lambda:RemovePermission", "lambda:PutFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig", "lambda:PublishLayerVersion", "lambda:DeleteLayerVersion", "lambda:TagResource", "lambda:UntagResource"], Resource = [local.functions, local.layers] },
      { Sid = "ManageRolesWithTheBoundary", Effect = "Allow", Action = ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"], Resource = [local.roles], Condition = { StringEquals = { "iam:PermissionsBoundary" = local.boundary_policy_arn } } },
      { Sid = "ManageRoles", Effect = "Allow", Action = ["iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"], Resource = [local.roles] },
      { Sid = "PassRolesToPipelineServices", Effect = "Allow", Action = ["iam:PassRole"], Resource = [local.roles], Condition = { StringEquals = { "iam:PassedToService" = local.passed_to } } },
      { Sid = "KeepTheBoundaryAttached", Effect = "Deny", Action = ["iam:DeleteRolePermissionsBoundary"], Resource = ["*"] },
      { Sid = "KeepTheBoundaryUnchanged", Effect = "Deny", Action = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"], Resource = [local.boundary_policy_arn] },
      { Sid = "ManageLogGroups", Effect = "Allow", Action = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:PutMetricFilter", "logs:DeleteMetricFilter"], Resource = local.pipeline_logs },
      { Sid = "ManageAccessLogDelivery", Effect = "Allow", Action = ["logs:CreateLogGroup", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"], Resource = ["*"] },
      { Sid = "ManageAlarms", Effect = "Allow", Action = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"], Resource = [local.alarms] },
      { Sid = "ManageTopics", Effect = "Allow", Action = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:TagResource", "sns:UntagResource"], Resource = [local.topics] },
      { Sid = "ManageSubscriptions", Effect = "Allow", Action = ["sns:Unsubscribe"], Resource = ["*"] },
      { Sid = "ManageQueues", Effect = "Allow", Action = ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"], Resource = [local.queues] },
      { Sid = "ManageSchedules", Effect = "Allow", Action = ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"], Resource = [local.schedules] },
      { Sid = "ManageCatalog", Effect = "Allow", Action = ["glue:CreateDatabase", "glue:UpdateDatabase", "glue:DeleteDatabase", "glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable", "glue:TagResource", "glue:UntagResource"], Resource = local.glue_catalog },
      { Sid = "ManageWorkgroup", Effect = "Allow", Action = ["athena:CreateWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteWorkGroup", "athena:CreateNamedQuery", "athena:DeleteNamedQuery", "athena:TagResource", "athena:UntagResource"], Resource = [local.workgroup] },
      { Sid = "ManageHttpApis", Effect = "Allow", Action = ["apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"], Resource = local.http_apis },
      { Sid = "ManageSecretContainers", Effect = "Allow", Action = ["secretsmanager:CreateSecret", "secretsmanager:UpdateSecret", "secretsmanager:DeleteSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource"], Resource = [local.secrets] },
    ],
    # With the deployment's key: use it (kms:DescribeKey, a metadata read the provider does not make, is
    # what services that are handed a key may check on the caller's behalf), and let AWS services create
    # grants on it for themselves.
    [for key in local.keys : { Sid = "UseDeploymentKey", Effect = "Allow", Action = ["kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], Resource = [key] }],
    [for key in local.keys : { Sid = "GrantDeploymentKeyToServices", Effect = "Allow", Action = ["kms:CreateGrant"], Resource = [key], Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } } }],
  )
}
