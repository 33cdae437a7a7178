# The root module: how the modules are put together, the names a deployment gets, the permissions
# boundary of its roles, and the root variables' validations.
#
# The real aws provider, offline (fake keys, no lookups), stands in for providers.tf's (so default_tags
# are not exercised here); the account id (an STS call) is overridden wherever it is read. Assertions
# reach the root's own resources and the modules' outputs: each module's tests/ check its insides.
# The packages are ../dist/*.zip (`make build`, or placeholders the pytest runner writes); the tables and
# their columns come from ../sql/tables/*.json.

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

override_data {
  target = module.storage.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = module.etl.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

override_data {
  target = module.analytics.data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

variables {
  aws_region       = "sa-east-1"
  allowed_chat_ids = ["-1001234567890"]
}

run "default_names" {
  command = plan

  assert {
    condition = (
      output.ingest_function_name == "telegram-datalake-ingest"
      && output.etl_function_name == "telegram-datalake-etl"
      && module.etl.schedule_name == "telegram-datalake-etl-daily"
      && module.ingest.webhook_secret_name == "telegram-datalake-ingest-webhook-secret"
    )
    error_message = "Functions, schedule and secret must be named <name_prefix>-ingest, <name_prefix>-etl, ..."
  }

  assert {
    condition = (
      output.glue_database_name == "telegram_datalake"
      && output.glue_table_name == jsondecode(file("../sql/tables/telegram.json")).table
      && output.athena_workgroup_name == "telegram-datalake"
    )
    error_message = "The database is name_prefix with underscores, the messages table sql/tables/telegram.json's, the workgroup name_prefix."
  }

  assert {
    condition     = output.glue_table_names == { telegram = "telegram", message_edits = "message_edits", member_events = "member_events", reactions = "reactions" }
    error_message = "Every sql/tables/*.json must be a Glue table: the messages table's name its \"table\", every other one named after its file."
  }

  assert {
    condition     = module.storage.account_id == "123456789012" && output.alarm_topic_arn == null && output.webhook_secret_rotation_overlap_seconds == 300
    error_message = "Defaults: buckets in the caller's account, no alarm topic without alarm_email, 300 s secret overlap."
  }

  assert {
    condition     = values(module.monitoring.alarm_names) == ["telegram-datalake-api-4xx", "telegram-datalake-api-5xx", "telegram-datalake-etl-dead-letters", "telegram-datalake-etl-errors", "telegram-datalake-ingest-errors", "telegram-datalake-no-updates-stored"]
    error_message = "The six alarms must be named after name_prefix."
  }
}

run "own_permissions_boundary" {
  command = plan

  assert {
    condition     = length(aws_iam_policy.pipeline_boundary) == 1 && aws_iam_policy.pipeline_boundary[0].name == "telegram-datalake-pipeline-boundary"
    error_message = "Without permissions_boundary_arn the deployment creates <name_prefix>-pipeline-boundary."
  }

  assert {
    condition = [for statement in jsondecode(aws_iam_policy.pipeline_boundary[0].policy).Statement : "${statement.Sid} ${join(",", statement.Resource)}"] == [
      "PutRawUpdates arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*",
      "ListRawUpdates arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1",
      "ReadRawUpdates arn:aws:s3:::telegram-datalake-raw-123456789012-sa-east-1/*",
      "ListParquet arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1",
      "WriteParquet arn:aws:s3:::telegram-datalake-enriched-123456789012-sa-east-1/*",
      "WriteFunctionLogs arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/telegram-datalake-*:*",
      "SendToDeadLetterQueues arn:aws:sqs:sa-east-1:123456789012:telegram-datalake-*",
      "InvokePipelineFunctions arn:aws:lambda:sa-east-1:123456789012:function:telegram-datalake-*",
      "ReadWebhookSecret arn:aws:secretsmanager:sa-east-1:123456789012:secret:telegram-datalake-*",
      "ReadPseudonymKey arn:aws:ssm:sa-east-1:123456789012:parameter/telegram-datalake/*",
    ]
    error_message = "The boundary must cover the deployment's own buckets, logs, queues, functions and secret in its account and Region."
  }
}

run "ci_permissions_boundary_and_other_names" {
  command = plan

  variables {
    name_prefix              = "tgdl-prod"
    aws_region               = "eu-west-2"
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/github-actions/tgdl-prod-ci-pipeline-boundary"
    alarm_email              = "ops@example.com"
  }

  assert {
    condition     = length(aws_iam_policy.pipeline_boundary) == 0 && output.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/github-actions/tgdl-prod-ci-pipeline-boundary"
    error_message = "With permissions_boundary_arn the deployment must use it and create no boundary of its own."
  }

  assert {
    condition = (
      output.ingest_function_name == "tgdl-prod-ingest" && output.etl_function_name == "tgdl-prod-etl"
      && output.glue_database_name == "tgdl_prod" && output.athena_workgroup_name == "tgdl-prod"
      && module.monitoring.alarm_names["no_updates_stored"] == "tgdl-prod-no-updates-stored"
    )
    error_message = "Every name must follow name_prefix."
  }
}

# The buckets' names are known once they are created: here, the storage module's outputs are given.
run "table_locations" {
  command = plan

  override_module {
    target          = module.storage
    override_during = plan
    outputs = {
      bucket_names = { for purpose in ["raw", "enriched", "athena_results", "artifacts"] : purpose => "telegram-datalake-${replace(purpose, "_", "-")}-123456789012-sa-east-1" }
      bucket_arns  = { for purpose in ["raw", "enriched", "athena_results", "artifacts"] : purpose => "arn:aws:s3:::telegram-datalake-${replace(purpose, "_", "-")}-123456789012-sa-east-1" }
      account_id   = "123456789012"
    }
  }

  assert {
    condition = module.analytics.table_locations == {
      telegram      = "s3://telegram-datalake-enriched-123456789012-sa-east-1/telegram/"
      message_edits = "s3://telegram-datalake-enriched-123456789012-sa-east-1/message_edits/"
      member_events = "s3://telegram-datalake-enriched-123456789012-sa-east-1/member_events/"
      reactions     = "s3://telegram-datalake-enriched-123456789012-sa-east-1/reactions/"
    }
    error_message = "The messages table must be under enriched_prefix of the enriched bucket, every other table under its name."
  }
}

run "other_enriched_prefix" {
  command = plan

  variables {
    enriched_prefix = "reactions_archive/telegram"
  }

  override_module {
    target          = module.storage
    override_during = plan
    outputs = {
      bucket_names = { for purpose in ["raw", "enriched", "athena_results", "artifacts"] : purpose => "telegram-datalake-${replace(purpose, "_", "-")}-123456789012-sa-east-1" }
      bucket_arns  = { for purpose in ["raw", "enriched", "athena_results", "artifacts"] : purpose => "arn:aws:s3:::telegram-datalake-${replace(purpose, "_", "-")}-123456789012-sa-east-1" }
      account_id   = "123456789012"
    }
  }

  assert {
    condition = (
      module.analytics.table_location == "s3://telegram-datalake-enriched-123456789012-sa-east-1/reactions_archive/telegram/"
      && module.analytics.table_locations["reactions"] == "s3://telegram-datalake-enriched-123456789012-sa-east-1/reactions/"
    )
    error_message = "enriched_prefix must move the messages table only; a prefix that merely starts like another table's name is not under it."
  }
}

run "reject_an_enriched_prefix_of_another_table" {
  command = plan

  variables {
    enriched_prefix = "member_events"
  }

  expect_failures = [var.enriched_prefix]
}

run "reject_an_enriched_prefix_under_another_table" {
  command = plan

  variables {
    enriched_prefix = "message_edits/telegram"
  }

  expect_failures = [var.enriched_prefix]
}

run "reject_etl_timeout_over_15_minutes" {
  command = plan

  variables {
    etl_timeout = 901
  }

  expect_failures = [var.etl_timeout]
}

run "reject_an_empty_tag_value" {
  command = plan

  variables {
    tags = { Team = "" }
  }

  expect_failures = [var.tags]
}

run "reject_no_chat" {
  command = plan

  variables {
    allowed_chat_ids = []
  }

  expect_failures = [var.allowed_chat_ids]
}

run "reject_short_infrequent_access_transition" {
  command = plan

  variables {
    raw_transition_days = 29
  }

  expect_failures = [var.raw_transition_days]
}

run "reject_name_prefix_too_long_for_bucket_names" {
  command = plan

  variables {
    name_prefix = "telegram-datalake-prod"
  }

  expect_failures = [var.name_prefix]
}

run "pseudonymised_analytics" {
  command = plan

  variables {
    pseudonym_key_parameter_name = "/telegram-datalake/pseudonym-key"
  }

  assert {
    condition     = module.etl.pseudonym_key_parameter_name == "/telegram-datalake/pseudonym-key" && output.pseudonym_key_parameter_name == "/telegram-datalake/pseudonym-key"
    error_message = "pseudonym_key_parameter_name must reach the ETL and the output pseudonym-key init reads."
  }
}

run "reject_a_pseudonym_key_outside_the_name_prefix" {
  command = plan

  variables {
    pseudonym_key_parameter_name = "/other-deployment/pseudonym-key"
  }

  expect_failures = [var.pseudonym_key_parameter_name]
}
