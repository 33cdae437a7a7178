# modules/analytics: one Glue table per sql/tables/*.json (its columns, partition projection on context_date,
# the messages table under enriched_prefix, every other one under its name), each table's DDL as a saved
# query, the Athena workgroup (results location, encryption, scan cutoff) and the saved queries of sql/.
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
  table_name                 = jsondecode(file("../../../sql/tables/telegram.json")).table
  tables                     = { for file in fileset("../../../sql/tables", "*.json") : trimsuffix(file, ".json") => jsondecode(file("../../../sql/tables/${file}")) }
  enriched_bucket_name       = "telegram-datalake-enriched-123456789012-sa-east-1"
  projection_start_date      = "2025-01-01"
  workgroup_name             = "telegram-datalake"
  athena_results_bucket_name = "telegram-datalake-athena-results-123456789012-sa-east-1"
  sql_dir                    = "../../../sql"
}

run "one_glue_table_per_schema_file" {
  command = plan

  assert {
    condition     = aws_glue_catalog_database.this.name == "telegram_datalake"
    error_message = "The database must be telegram_datalake."
  }

  assert {
    condition = (
      { for key, table in aws_glue_catalog_table.this : key => "${table.database_name}.${table.name} ${table.table_type}" } == {
        telegram      = "telegram_datalake.telegram EXTERNAL_TABLE"
        message_edits = "telegram_datalake.message_edits EXTERNAL_TABLE"
        member_events = "telegram_datalake.member_events EXTERNAL_TABLE"
        reactions     = "telegram_datalake.reactions EXTERNAL_TABLE"
      }
    )
    error_message = "There must be one external table per sql/tables/*.json in telegram_datalake: telegram, message_edits, member_events and reactions, each named after its file."
  }

  assert {
    condition = (
      { for key, table in aws_glue_catalog_table.this : key => table.storage_descriptor[0].location } == {
        telegram      = "s3://telegram-datalake-enriched-123456789012-sa-east-1/telegram/"
        message_edits = "s3://telegram-datalake-enriched-123456789012-sa-east-1/message_edits/"
        member_events = "s3://telegram-datalake-enriched-123456789012-sa-east-1/member_events/"
        reactions     = "s3://telegram-datalake-enriched-123456789012-sa-east-1/reactions/"
      }
      && output.table_locations == { for key, table in aws_glue_catalog_table.this : key => table.storage_descriptor[0].location }
      && output.table_location == "s3://telegram-datalake-enriched-123456789012-sa-east-1/telegram/"
    )
    error_message = "The messages table must be s3://<enriched bucket>/<enriched_prefix>/, every other one s3://<enriched bucket>/<table>/."
  }

  assert {
    condition = alltrue([
      for key, table in aws_glue_catalog_table.this : table.parameters == tomap({
        "EXTERNAL"                              = "TRUE"
        "classification"                        = "parquet"
        "parquet.compression"                   = "ZSTD"
        "projection.enabled"                    = "true"
        "projection.context_date.type"          = "date"
        "projection.context_date.format"        = "yyyy-MM-dd"
        "projection.context_date.range"         = "2025-01-01,NOW"
        "projection.context_date.interval"      = "1"
        "projection.context_date.interval.unit" = "DAYS"
        "storage.location.template"             = "s3://telegram-datalake-enriched-123456789012-sa-east-1/${key}/context_date=$${context_date}"
      })
    ])
    error_message = "Every table's partition projection must cover context_date as daily yyyy-MM-dd dates from projection_start_date to NOW, under its own prefix/context_date=<day>."
  }

  assert {
    condition = alltrue([
      for table in aws_glue_catalog_table.this :
      table.storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      && table.storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      && table.storage_descriptor[0].output_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
    ])
    error_message = "Every table must read Parquet."
  }

  assert {
    condition = (
      sort(keys(aws_glue_catalog_table.this)) == sort([for file in fileset("../../../sql/tables", "*.json") : trimsuffix(file, ".json")])
      && alltrue([
        for key, table in aws_glue_catalog_table.this :
        [for column in table.storage_descriptor[0].columns : "${column.name} ${column.type} ${column.comment}"]
        == [for column in jsondecode(file("../../../sql/tables/${key}.json")).columns : "${column.name} ${column.type} ${column.comment}"]
      ])
    )
    error_message = "Every table's columns must be its sql/tables/<table>.json's, in its order, with their comments."
  }

  assert {
    condition     = alltrue([for table in aws_glue_catalog_table.this : [for key in table.partition_keys : "${key.name} ${key.type}"] == ["context_date date"]])
    error_message = "Every table's one partition key must be context_date, a date."
  }

  assert {
    condition = (
      aws_glue_catalog_table.this["telegram"].description == "One row per Telegram message or channel post, as first sent; partitioned by the day the updates arrived (context_date)"
      && aws_glue_catalog_table.this["member_events"].description == "${jsondecode(file("../../../sql/tables/member_events.json")).description}; partitioned by the day the updates arrived (context_date)"
    )
    error_message = "A table's description must be its schema's first sentence, and its partitioning."
  }

  assert {
    condition = (
      output.table_name == "telegram"
      && output.table_names == { telegram = "telegram", message_edits = "message_edits", member_events = "member_events", reactions = "reactions" }
    )
    error_message = "table_name must be the messages table's Glue name, table_names every table's by table."
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
    condition     = alltrue([for name, query in aws_athena_named_query.saved : query.description == trimprefix(split("\n", file("../../../sql/${name}.sql"))[0], "-- ")])
    error_message = "A saved query's description must be its file's first comment line."
  }

  assert {
    condition = (
      alltrue([for query in aws_athena_named_query.saved : strcontains(query.query, "\"telegram_datalake\".") && !strcontains(query.query, "$${") && query.database == "telegram_datalake" && query.workgroup == "telegram-datalake"])
      && strcontains(aws_athena_named_query.saved["messages_per_day"].query, "FROM \"telegram_datalake\".\"telegram\"")
      && strcontains(aws_athena_named_query.saved["activity_by_hour"].query, "AT TIME ZONE 'America/Sao_Paulo'")
    )
    error_message = "Saved queries must be rendered with the database, table and time zone, and run in the database and workgroup."
  }

  assert {
    condition = (
      { for key, query in aws_athena_named_query.create_table : key => query.name } == {
        telegram      = "create_table"
        message_edits = "create_table_message_edits"
        member_events = "create_table_member_events"
        reactions     = "create_table_reactions"
      }
      && alltrue([for query in aws_athena_named_query.create_table : query.database == "telegram_datalake" && query.workgroup == "telegram-datalake"])
    )
    error_message = "Every table's DDL must be saved: create_table for the messages table (its first name), create_table_<table> for every other one, in the database and workgroup."
  }

  assert {
    condition = alltrue([
      for key, query in aws_athena_named_query.create_table :
      strcontains(query.query, "CREATE EXTERNAL TABLE IF NOT EXISTS `telegram_datalake`.`${key}` (")
      && strcontains(query.query, "LOCATION 's3://telegram-datalake-enriched-123456789012-sa-east-1/${key}/'")
      && strcontains(query.query, "'projection.context_date.range' = '2025-01-01,NOW'")
      && strcontains(query.query, "'storage.location.template' = 's3://telegram-datalake-enriched-123456789012-sa-east-1/${key}/context_date=$${context_date}'")
      && strcontains(query.query, "PARTITIONED BY (\n  `context_date` date COMMENT ")
      && alltrue([for column in jsondecode(file("../../../sql/tables/${key}.json")).columns : strcontains(query.query, "\n  `${column.name}` ${column.type} COMMENT '${column.comment}'")])
    ])
    error_message = "Each saved DDL must create the same table as its Glue table: name, columns, location and projection."
  }

  assert {
    condition = (
      aws_athena_named_query.create_table["reactions"].description == "DDL of telegram_datalake.reactions (the Glue table Terraform manages)"
      && sort(keys(output.named_query_ids)) == sort(concat(
        ["create_table", "create_table_member_events", "create_table_message_edits", "create_table_reactions"],
        [for file in fileset("../../../sql", "*.sql") : trimsuffix(file, ".sql")],
      ))
    )
    error_message = "A DDL's description must name its table; named_query_ids must hold every DDL and saved query by its name."
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
      alltrue([for table in aws_glue_catalog_table.this : table.parameters["projection.context_date.range"] == "2024-02-29,NOW"])
      && aws_glue_catalog_table.this["telegram"].parameters["storage.location.template"] == "s3://telegram-datalake-enriched-123456789012-sa-east-1/lake/telegram/context_date=$${context_date}"
      && aws_glue_catalog_table.this["telegram"].storage_descriptor[0].location == "s3://telegram-datalake-enriched-123456789012-sa-east-1/lake/telegram/"
      && strcontains(aws_athena_named_query.create_table["telegram"].query, "LOCATION 's3://telegram-datalake-enriched-123456789012-sa-east-1/lake/telegram/'")
    )
    error_message = "projection_start_date must reach every table's projection, enriched_prefix the messages table's location and DDL."
  }

  assert {
    condition = (
      aws_glue_catalog_table.this["message_edits"].parameters["storage.location.template"] == "s3://telegram-datalake-enriched-123456789012-sa-east-1/message_edits/context_date=$${context_date}"
      && aws_glue_catalog_table.this["reactions"].storage_descriptor[0].location == "s3://telegram-datalake-enriched-123456789012-sa-east-1/reactions/"
    )
    error_message = "enriched_prefix must not move the other tables: each stays under its name."
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

run "other_messages_table_name" {
  command = plan

  variables {
    table_name = "messages"
  }

  assert {
    condition = (
      output.table_names == { telegram = "messages", message_edits = "message_edits", member_events = "member_events", reactions = "reactions" }
      && aws_glue_catalog_table.this["telegram"].storage_descriptor[0].location == "s3://telegram-datalake-enriched-123456789012-sa-east-1/telegram/"
    )
    error_message = "table_name must name the messages table only, without moving its files."
  }

  assert {
    condition = (
      aws_athena_named_query.create_table["telegram"].name == "create_table"
      && strcontains(aws_athena_named_query.create_table["telegram"].query, "CREATE EXTERNAL TABLE IF NOT EXISTS `telegram_datalake`.`messages` (")
      && strcontains(aws_athena_named_query.saved["messages_per_day"].query, "FROM \"telegram_datalake\".\"messages\"")
    )
    error_message = "The messages table's DDL and the saved queries must use table_name."
  }
}

run "reject_impossible_start_date" {
  command = plan

  variables {
    projection_start_date = "2025-02-30"
  }

  expect_failures = [var.projection_start_date]
}

run "reject_another_tables_prefix" {
  command = plan

  variables {
    enriched_prefix = "reactions"
  }

  expect_failures = [var.enriched_prefix]
}

run "reject_a_prefix_under_another_table" {
  command = plan

  variables {
    enriched_prefix = "member_events/telegram"
  }

  expect_failures = [var.enriched_prefix]
}

run "reject_another_tables_name" {
  command = plan

  variables {
    table_name = "message_edits"
  }

  expect_failures = [var.table_name]
}

run "reject_a_schema_named_unlike_its_file" {
  command = plan

  variables {
    tables = {
      telegram = jsondecode(file("../../../sql/tables/telegram.json"))
      edits    = jsondecode(file("../../../sql/tables/message_edits.json"))
    }
  }

  expect_failures = [var.tables]
}

run "reject_no_messages_table" {
  command = plan

  variables {
    tables = {
      reactions = jsondecode(file("../../../sql/tables/reactions.json"))
    }
  }

  expect_failures = [var.tables]
}

run "reject_other_partition_key" {
  command = plan

  variables {
    tables = {
      telegram  = jsondecode(file("../../../sql/tables/telegram.json"))
      reactions = merge(jsondecode(file("../../../sql/tables/reactions.json")), { partition_keys = [{ name = "dt", type = "string", comment = "day" }] })
    }
  }

  expect_failures = [var.tables]
}
