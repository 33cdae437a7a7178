# modules/analytics: the Glue table (columns of sql/schema.json, partition projection on context_date),
# the Athena workgroup (results location, encryption, scan cutoff) and the saved queries of sql/.
#
# The real aws provider, offline (fake keys, no lookups); the account id (an STS call) is overridden.
# Everything asserted here is known at plan time. sql/ is the repository's, next to terraform/.

provider "aws" {
  region                      = "sa-east-1"
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
  values = {
    account_id = "123456789012"
  }
}

variables {
  database_name              = "telegram_datalake"
  table_name                 = jsondecode(file("../../../sql/schema.json")).table
  columns                    = jsondecode(file("../../../sql/schema.json")).columns
  partition_keys             = jsondecode(file("../../../sql/schema.json")).partition_keys
  enriched_bucket_name       = "telegram-datalake-enriched-123456789012-sa-east-1"
  projection_start_date      = "2025-01-01"
  workgroup_name             = "telegram-datalake"
  athena_results_bucket_name = "telegram-datalake-athena-results-123456789012-sa-east-1"
  sql_dir                    = "../../../sql"
}

run "glue_table_with_partition_projection" {
  command = plan

  assert {
    condition     = aws_glue_catalog_database.this.name == "telegram_datalake" && aws_glue_catalog_table.this.name == "telegram" && aws_glue_catalog_table.this.table_type == "EXTERNAL_TABLE"
    error_message = "The external table telegram must be in the telegram_datalake database."
  }

  assert {
    condition = aws_glue_catalog_table.this.parameters == tomap({
      "EXTERNAL"                              = "TRUE"
      "classification"                        = "parquet"
      "parquet.compression"                   = "ZSTD"
      "projection.enabled"                    = "true"
      "projection.context_date.type"          = "date"
      "projection.context_date.format"        = "yyyy-MM-dd"
      "projection.context_date.range"         = "2025-01-01,NOW"
      "projection.context_date.interval"      = "1"
      "projection.context_date.interval.unit" = "DAYS"
      "storage.location.template"             = "s3://telegram-datalake-enriched-123456789012-sa-east-1/telegram/context_date=$${context_date}"
    })
    error_message = "Partition projection must cover context_date as daily yyyy-MM-dd dates from projection_start_date to NOW, under <enriched_prefix>/context_date=<day>."
  }

  assert {
    condition = (
      aws_glue_catalog_table.this.storage_descriptor[0].location == "s3://telegram-datalake-enriched-123456789012-sa-east-1/telegram/"
      && aws_glue_catalog_table.this.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      && aws_glue_catalog_table.this.storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    )
    error_message = "The table must read Parquet under s3://<enriched bucket>/<enriched_prefix>/."
  }

  assert {
    condition = (
      [for column in aws_glue_catalog_table.this.storage_descriptor[0].columns : "${column.name} ${column.type}"]
      == [for column in jsondecode(file("../../../sql/schema.json")).columns : "${column.name} ${column.type}"]
    )
    error_message = "The table's columns must be sql/schema.json's, in its order."
  }

  assert {
    condition     = [for key in aws_glue_catalog_table.this.partition_keys : "${key.name} ${key.type}"] == ["context_date date"]
    error_message = "The one partition key must be context_date, a date."
  }
}

run "athena_workgroup_and_saved_queries" {
  command = plan

  assert {
    condition = (
      aws_athena_workgroup.this.name == "telegram-datalake"
      && aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration == true
      && aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 1073741824
      && aws_athena_workgroup.this.configuration[0].engine_version[0].selected_engine_version == "Athena engine version 3"
    )
    error_message = "The workgroup must enforce its configuration, cancel queries past 1 GiB scanned, on engine 3."
  }

  assert {
    condition = (
      aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://telegram-datalake-athena-results-123456789012-sa-east-1/results/"
      && aws_athena_workgroup.this.configuration[0].result_configuration[0].expected_bucket_owner == "123456789012"
      && aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_S3"
    )
    error_message = "Results must go to results/ of the athena-results bucket, owned by this account, SSE-S3 without a key."
  }

  assert {
    condition     = sort(keys(aws_athena_named_query.saved)) == sort([for file in fileset("../../../sql", "*.sql") : trimsuffix(file, ".sql")])
    error_message = "There must be one saved query per sql/*.sql file, named after it."
  }

  assert {
    condition     = aws_athena_named_query.saved["messages_per_day"].description == "How many messages did the chat get each day?"
    error_message = "A saved query's description must be its file's first comment line."
  }

  assert {
    condition = (
      alltrue([for query in aws_athena_named_query.saved : strcontains(query.query, "FROM \"telegram_datalake\".\"telegram\"") && query.database == "telegram_datalake" && query.workgroup == "telegram-datalake"])
      && strcontains(aws_athena_named_query.saved["activity_by_hour"].query, "AT TIME ZONE 'America/Sao_Paulo'")
    )
    error_message = "Saved queries must be rendered with the database, table and time zone, and run in the database and workgroup."
  }

  assert {
    condition = (
      strcontains(aws_athena_named_query.create_table.query, "CREATE EXTERNAL TABLE IF NOT EXISTS `telegram_datalake`.`telegram`")
      && strcontains(aws_athena_named_query.create_table.query, "'projection.context_date.range' = '2025-01-01,NOW'")
      && strcontains(aws_athena_named_query.create_table.query, "'storage.location.template' = 's3://telegram-datalake-enriched-123456789012-sa-east-1/telegram/context_date=$${context_date}'")
    )
    error_message = "The saved DDL must create the same table, with the same projection, as the Glue table."
  }
}

run "other_prefix_start_date_and_kms" {
  command = plan

  variables {
    enriched_prefix                = "lake/telegram"
    projection_start_date          = "2024-02-29"
    bytes_scanned_cutoff_per_query = 10485760
    kms_key_arn                    = "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }

  assert {
    condition = (
      aws_glue_catalog_table.this.parameters["projection.context_date.range"] == "2024-02-29,NOW"
      && aws_glue_catalog_table.this.parameters["storage.location.template"] == "s3://telegram-datalake-enriched-123456789012-sa-east-1/lake/telegram/context_date=$${context_date}"
      && aws_glue_catalog_table.this.storage_descriptor[0].location == "s3://telegram-datalake-enriched-123456789012-sa-east-1/lake/telegram/"
    )
    error_message = "projection_start_date and enriched_prefix must reach the projection and the location."
  }

  assert {
    condition = (
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS"
      && aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == "arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      && aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 10485760
    )
    error_message = "With kms_key_arn results must be SSE-KMS with that key; the cutoff must follow its variable."
  }
}

run "reject_impossible_start_date" {
  command = plan

  variables {
    projection_start_date = "2025-02-30"
  }

  expect_failures = [var.projection_start_date]
}

run "reject_other_partition_key" {
  command = plan

  variables {
    partition_keys = [{ name = "dt", type = "string", comment = "day" }]
  }

  expect_failures = [var.partition_keys]
}
