# The query side: one Glue table per table over its Parquet files (partition projection, so no crawler and
# no MSCK REPAIR), an Athena workgroup with a cost guard, each table's DDL and the saved queries of sql/.

data "aws_caller_identity" "current" {}

locals {
  sse_kms = var.kms_key_arn != null

  # The messages table: its Glue name is var.table_name, its files are under var.enriched_prefix.
  messages_table = "telegram"

  # Every table: Glue name, key prefix in the enriched bucket, name of its saved DDL, and description (its
  # schema's first sentence). The messages table keeps the DDL's first name, create_table; every other
  # table is named after its key, kept under <key>/ and its DDL saved as create_table_<key>.
  tables = {
    for key, table in var.tables : key => {
      name           = key == local.messages_table ? var.table_name : key
      prefix         = key == local.messages_table ? var.enriched_prefix : key
      ddl_query      = key == local.messages_table ? "create_table" : "create_table_${key}"
      description    = trimsuffix(split(". ", trimspace(table.description))[0], ".")
      columns        = table.columns
      partition_keys = table.partition_keys
    }
  }
  locations = { for key, table in local.tables : key => "s3://${var.enriched_bucket_name}/${table.prefix}/" }

  # What the saved queries' templates are filled with: the names and zone, and the shared SQL of sql/parts/
  # (rendered first, without its last newline), as telegram_datalake/saved_queries.py fills them for DuckDB.
  template_values = { database = var.database_name, table = var.table_name, timezone = var.timezone }
  query_parts = {
    for file in fileset("${var.sql_dir}/parts", "*.sql.tftpl") :
    trimsuffix(file, ".sql.tftpl") => trimsuffix(templatefile("${var.sql_dir}/parts/${file}", local.template_values), "\n")
  }

  # Saved queries: one per sql/*.sql file, named after the file.
  saved_queries = { for file in fileset(var.sql_dir, "*.sql") : trimsuffix(file, ".sql") => file }
}

resource "aws_glue_catalog_database" "this" {
  name        = var.database_name
  description = "Telegram data lake: messages, edits, membership changes and reactions captured from Telegram chats"

  tags = var.tags
}

resource "aws_glue_catalog_table" "this" {
  for_each = local.tables

  name          = each.value.name
  database_name = aws_glue_catalog_database.this.name
  description   = "${each.value.description}; partitioned by the day the updates arrived (context_date)"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    "EXTERNAL"                              = "TRUE"
    "classification"                        = "parquet"
    "parquet.compression"                   = "ZSTD"
    "projection.enabled"                    = "true"
    "projection.context_date.type"          = "date"
    "projection.context_date.format"        = "yyyy-MM-dd"
    "projection.context_date.range"         = "${var.projection_start_date},NOW"
    "projection.context_date.interval"      = "1"
    "projection.context_date.interval.unit" = "DAYS"
    "storage.location.template"             = "${local.locations[each.key]}context_date=$${context_date}"
  }

  storage_descriptor {
    location      = local.locations[each.key]
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"

      parameters = {
        "serialization.format" = "1"
      }
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }

  dynamic "partition_keys" {
    for_each = each.value.partition_keys

    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }
}

# The messages table was the module's only table: the same object, now one of several.
moved {
  from = aws_glue_catalog_table.this
  to   = aws_glue_catalog_table.this["telegram"]
}

resource "aws_athena_workgroup" "this" {
  name          = var.workgroup_name
  description   = "Queries over the Telegram data lake"
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${var.athena_results_bucket_name}/results/"
      expected_bucket_owner = data.aws_caller_identity.current.account_id

      encryption_configuration {
        encryption_option = local.sse_kms ? "SSE_KMS" : "SSE_S3"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = var.tags
}

# Each table's DDL, rendered from the same schema as its Glue table, for re-creating it by hand.
resource "aws_athena_named_query" "create_table" {
  for_each = local.tables

  name        = each.value.ddl_query
  description = "DDL of ${var.database_name}.${each.value.name} (the Glue table Terraform manages)"
  database    = aws_glue_catalog_database.this.name
  workgroup   = aws_athena_workgroup.this.name
  query = templatefile("${var.sql_dir}/create_table.sql.tftpl", {
    database         = var.database_name
    table            = each.value.name
    columns          = each.value.columns
    partition_keys   = each.value.partition_keys
    location         = local.locations[each.key]
    projection_start = var.projection_start_date
  })
}

moved {
  from = aws_athena_named_query.create_table
  to   = aws_athena_named_query.create_table["telegram"]
}

# Description: the file's first line when it is a comment ("-- ..."), else a generic text.
resource "aws_athena_named_query" "saved" {
  for_each = local.saved_queries

  name        = each.key
  description = substr(try(trimspace(regex("^--[ \\t]*([^\\r\\n]+)", file("${var.sql_dir}/${each.value}"))[0]), "Saved query ${each.key}"), 0, 1024)
  database    = aws_glue_catalog_database.this.name
  workgroup   = aws_athena_workgroup.this.name
  query       = templatefile("${var.sql_dir}/${each.value}", merge(local.template_values, local.query_parts))
}
