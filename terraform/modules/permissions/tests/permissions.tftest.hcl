# modules/permissions: the boundary, read and apply policy documents, scoped to the deployment's names.
# The module is pure computation (no provider): every document is known at plan time.

variables {
  name_prefix          = "telegram-datalake"
  region               = "sa-east-1"
  account_id           = "123456789012"
  boundary_policy_name = "telegram-datalake-ci-pipeline-boundary"
  boundary_policy_path = "/github-actions/"
}

run "boundary" {
  command = plan

  assert {
    condition     = output.boundary_policy_arn == "arn:aws:iam::123456789012:policy/github-actions/telegram-datalake-ci-pipeline-boundary"
    error_message = "boundary_policy_arn must be the policy's ARN with its path."
  }

  assert {
    condition = jsondecode(output.boundary_policy_json) == {
      Version = "2012-10-17"
      Statement = [
        { Sid = "PutRawUpdates", Effect = "Allow", Action = ["s3:PutObject"], Resource = ["arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*"] },
        { Sid = "ListRawUpdates", Effect = "Allow", Action = ["s3:ListBucket"], Resource = ["arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1"] },
        { Sid = "ReadRawUpdates", Effect = "Allow", Action = ["s3:GetObject"], Resource = ["arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*"] },
        { Sid = "ListParquet", Effect = "Allow", Action = ["s3:ListBucket"], Resource = ["arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1"] },
        { Sid = "WriteParquet", Effect = "Allow", Action = ["s3:PutObject", "s3:DeleteObject"], Resource = ["arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1/*"] },
        { Sid = "WriteFunctionLogs", Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = ["arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-*:*"] },
        { Sid = "SendToDeadLetterQueues", Effect = "Allow", Action = ["sqs:SendMessage"], Resource = ["arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-*"] },
        { Sid = "InvokePipelineFunctions", Effect = "Allow", Action = ["lambda:InvokeFunction"], Resource = ["arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-*"] },
        { Sid = "ReadWebhookSecret", Effect = "Allow", Action = ["secretsmanager:GetSecretValue"], Resource = ["arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-*"] },
        { Sid = "ReadPseudonymKey", Effect = "Allow", Action = ["ssm:GetParameter"], Resource = ["arn:aws:ssm:sa-east-1:123456789012:parameter/telegram-datalake/*"] },
      ]
    }
    error_message = "The boundary must allow the pipeline's own data, logs, queues, functions, webhook secret and pseudonym key, nothing else."
  }
}

run "read_and_apply" {
  command = plan

  assert {
    condition = [for statement in jsondecode(output.read_policy_json).Statement : statement if statement.Effect == "Deny"] == [
      {
        Sid    = "DenyChatData"
        Effect = "Deny"
        Action = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = [
          "arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*",
          "arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1/*",
          "arn:aws:s3:::telegram-datalake-athena-results-123456789012-sa-east-1/*",
        ]
      },
      {
        Sid      = "DenyWebhookSecretValue"
        Effect   = "Deny"
        Action   = ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage", "secretsmanager:RestoreSecret"]
        Resource = ["arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-*"]
      },
      {
        Sid      = "DenyPseudonymKey"
        Effect   = "Deny"
        Action   = ["ssm:GetParameter*", "ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:LabelParameterVersion"]
        Resource = ["arn:aws:ssm:sa-east-1:123456789012:parameter/telegram-datalake", "arn:aws:ssm:sa-east-1:123456789012:parameter/telegram-datalake/*"]
      },
    ]
    error_message = "The read policy must deny reading the chat's data, the webhook secret's value and the pseudonym key (reading or replacing it)."
  }

  assert {
    condition = [
      for statement in concat(jsondecode(output.read_policy_json).Statement, jsondecode(output.apply_policy_json).Statement) :
      statement.Sid if statement.Effect == "Allow" && contains(statement.Resource, "*")
    ] == ["ReadSubscriptions", "ManageAccessLogDelivery", "ManageSubscriptions"]
    error_message = "Only the access-log delivery and SNS subscription calls, which take no resource ARN, may be allowed on \"*\"."
  }

  assert {
    condition = [for statement in jsondecode(output.apply_policy_json).Statement : statement.Condition if statement.Sid == "ManageRolesWithTheBoundary"] == [
      { StringEquals = { "iam:PermissionsBoundary" = "arn:aws:iam::123456789012:policy/github-actions/telegram-datalake-ci-pipeline-boundary" } }
    ]
    error_message = "The apply role may create and change roles only with the boundary attached."
  }

  assert {
    condition = [for statement in jsondecode(output.apply_policy_json).Statement : statement if statement.Effect == "Deny"] == [
      { Sid = "KeepTheBoundaryAttached", Effect = "Deny", Action = ["iam:DeleteRolePermissionsBoundary"], Resource = ["*"] },
      {
        Sid      = "KeepTheBoundaryUnchanged"
        Effect   = "Deny"
        Action   = ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"]
        Resource = ["arn:aws:iam::123456789012:policy/github-actions/telegram-datalake-ci-pipeline-boundary"]
      },
    ]
    error_message = "The apply role must never detach or change the boundary."
  }

  assert {
    condition     = !anytrue([for statement in concat(jsondecode(output.boundary_policy_json).Statement, jsondecode(output.read_policy_json).Statement, jsondecode(output.apply_policy_json).Statement) : startswith(statement.Sid, "UseDeploymentKey") || startswith(statement.Sid, "ReadWithDeploymentKey") || startswith(statement.Sid, "GrantDeploymentKey")])
    error_message = "Without kms_key_arn no document may mention a KMS key."
  }
}

run "kms_key_and_other_partition" {
  command = plan

  variables {
    partition   = "aws-cn"
    region      = "cn-north-1"
    kms_key_arn = "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition = [for statement in jsondecode(output.boundary_policy_json).Statement : statement if statement.Sid == "UseDeploymentKey"] == [
      { Sid = "UseDeploymentKey", Effect = "Allow", Action = ["kms:Decrypt", "kms:GenerateDataKey"], Resource = ["arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"] }
    ]
    error_message = "With kms_key_arn the boundary must allow encrypting and decrypting with that key only."
  }

  assert {
    condition = [for statement in jsondecode(output.apply_policy_json).Statement : statement.Condition if statement.Sid == "GrantDeploymentKeyToServices"] == [
      { Bool = { "kms:GrantIsForAWSResource" = "true" } }
    ]
    error_message = "The apply role may create grants on the key for AWS services only."
  }

  assert {
    condition = alltrue([
      for statement in concat(jsondecode(output.boundary_policy_json).Statement, jsondecode(output.apply_policy_json).Statement) :
      alltrue([for resource in statement.Resource : resource == "*" || startswith(resource, "arn:aws-cn:")])
    ])
    error_message = "Every ARN must be in the account's partition."
  }
}

run "reject_account_id_that_is_not_12_digits" {
  command = plan

  variables {
    account_id = "12345678901"
  }

  expect_failures = [var.account_id]
}

run "reject_policy_path_without_slashes" {
  command = plan

  variables {
    boundary_policy_path = "github-actions"
  }

  expect_failures = [var.boundary_policy_path]
}
