# The query side: a Glue table over the Parquet files (partition projection, so no crawler and no
# MSCK REPAIR), an Athena workgroup with a cost guard, and the saved queries of sql/.

data "aws_caller_identity" "current" {}

locals {
  location = "s3://${var.enriched_bucket_name}/${var.enriched_prefix}/"
  sse_kms  = var.kms_key_arn != null

  # Saved queries: one per sql/*.sql file, named after the file.
  saved_queries = { for file in fileset(var.sql_dir, "*.sql") : trimsuffix(file, ".sql") => file }
}

resource "aws_glue_catalog_database" "this" {
  name        = var.database_name
  description = "Telegram data lake: messages captured from a Telegram group"

  tags = var.tags
}

resource "aws_glue_catalog_table" "this" {
  name          = var.table_name
  database_name = aws_glue_catalog_database.this.name
  description   = "One row per Telegram message or channel post, partitioned by the day it arrived (context_date)"
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
    "storage.location.template"             = "s3://${var.enriched_bucket_name}/${var.enriched_prefix}/context_date=$${context_date}"
  }

  storage_descriptor {
    location      = local.location
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
      for_each = var.columns

      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }

  dynamic "partition_keys" {
    for_each = var.partition_keys

    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }
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

# The table's DDL, rendered from the same schema as the Glue table, for re-creating it by hand.
resource "aws_athena_named_query" "create_table" {
  name        = "create_table"
  description = "DDL of ${var.database_name}.${var.table_name} (the Glue table Terraform manages)"
  database    = aws_glue_catalog_database.this.name
  workgroup   = aws_athena_workgroup.this.name
  query = templatefile("${var.sql_dir}/create_table.sql.tftpl", {
    database         = var.database_name
    table            = var.table_name
    columns          = var.columns
    partition_keys   = var.partition_keys
    location         = local.location
    projection_start = var.projection_start_date
  })
}

# Description: the file's first line when it is a comment ("-- ..."), else a generic text.
resource "aws_athena_named_query" "saved" {
  for_each = local.saved_queries

  name        = each.key
  description = substr(try(trimspace(regex("^--[ \\t]*([^\\r\\n]+)", file("${var.sql_dir}/${each.value}"))[0]), "Saved query ${each.key}"), 0, 1024)
  database    = aws_glue_catalog_database.this.name
  workgroup   = aws_athena_workgroup.this.name
  query = templatefile("${var.sql_dir}/${each.value}", {
    database = var.database_name
    table    = var.table_name
    timezone = var.timezone
  })
}
