# Telegram data lake: webhook -> raw JSON in S3 -> daily Parquet -> Glue table -> Athena.

locals {
  dist_dir = var.dist_dir != null ? var.dist_dir : "${path.root}/../dist"
  sql_dir  = "${path.root}/../sql"

  # Every table's columns and partition keys come from its one schema file, the one the ETL is tested
  # against: sql/tables/<table>.json. telegram.json is the messages table (under enriched_prefix, its Glue
  # name its "table"); every other table is named after its file and kept under <table>/ of the bucket.
  tables_dir     = "${path.module}/../sql/tables"
  tables         = { for file in fileset(local.tables_dir, "*.json") : trimsuffix(file, ".json") => jsondecode(file("${local.tables_dir}/${file}")) }
  messages_table = "telegram"
  schema         = local.tables[local.messages_table]
  update_tables  = sort([for name in keys(local.tables) : name if name != local.messages_table])

  database_name = replace(var.name_prefix, "-", "_")

  # Every role of the deployment carries this boundary: the CI bootstrap's, or the deployment's own.
  permissions_boundary_arn = var.permissions_boundary_arn != null ? var.permissions_boundary_arn : aws_iam_policy.pipeline_boundary[0].arn
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

################################################################################
# Permissions boundary of the deployment's roles
################################################################################

module "permissions" {
  source = "./modules/permissions"

  name_prefix          = var.name_prefix
  region               = var.aws_region
  account_id           = data.aws_caller_identity.current.account_id
  partition            = data.aws_partition.current.partition
  kms_key_arn          = var.kms_key_arn
  boundary_policy_name = "${var.name_prefix}-pipeline-boundary"
}

# Without CI (permissions_boundary_arn = null), the deployment's own copy of the boundary document.
resource "aws_iam_policy" "pipeline_boundary" {
  count = var.permissions_boundary_arn == null ? 1 : 0

  name        = "${var.name_prefix}-pipeline-boundary"
  description = "Permissions boundary of the ${var.name_prefix} pipeline's roles: its own data, logs, queues, functions, webhook secret and key only"
  policy      = module.permissions.boundary_policy_json
}

module "storage" {
  source = "./modules/storage"

  name_prefix                        = var.name_prefix
  kms_key_arn                        = var.kms_key_arn
  force_destroy                      = var.force_destroy
  raw_transition_days                = var.raw_transition_days
  raw_transition_storage_class       = var.raw_transition_storage_class
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  athena_results_expiration_days     = var.athena_results_expiration_days
  raw_retention_days                 = var.raw_retention_days
  enriched_retention_days            = var.enriched_retention_days
}

module "ingest" {
  source = "./modules/ingest"

  name                   = "${var.name_prefix}-ingest"
  package_path           = "${local.dist_dir}/ingest.zip"
  architecture           = var.lambda_architecture
  raw_bucket_name        = module.storage.bucket_names["raw"]
  raw_bucket_arn         = module.storage.bucket_arns["raw"]
  raw_prefix             = var.raw_prefix
  timezone               = var.timezone
  allowed_chat_ids       = var.allowed_chat_ids
  log_retention_days     = var.log_retention_days
  kms_key_arn            = var.kms_key_arn
  throttling_burst_limit = var.api_throttling_burst_limit
  throttling_rate_limit  = var.api_throttling_rate_limit

  webhook_secret_rotation_overlap_seconds = var.webhook_secret_rotation_overlap_seconds
  webhook_secret_recovery_window_days     = var.webhook_secret_recovery_window_days
  permissions_boundary_arn                = local.permissions_boundary_arn
}

module "etl" {
  source = "./modules/etl"

  name                           = "${var.name_prefix}-etl"
  package_path                   = "${local.dist_dir}/etl.zip"
  layer_package_path             = "${local.dist_dir}/pyarrow-layer.zip"
  artifacts_bucket_name          = module.storage.bucket_names["artifacts"]
  architecture                   = var.lambda_architecture
  memory_size                    = var.etl_memory_size
  timeout                        = var.etl_timeout
  reserved_concurrent_executions = var.etl_reserved_concurrent_executions
  raw_bucket_name                = module.storage.bucket_names["raw"]
  raw_bucket_arn                 = module.storage.bucket_arns["raw"]
  enriched_bucket_name           = module.storage.bucket_names["enriched"]
  enriched_bucket_arn            = module.storage.bucket_arns["enriched"]
  raw_prefix                     = var.raw_prefix
  enriched_prefix                = var.enriched_prefix
  table_prefixes                 = local.update_tables
  timezone                       = var.timezone
  max_workers                    = var.etl_max_workers
  log_retention_days             = var.log_retention_days
  kms_key_arn                    = var.kms_key_arn
  schedule_expression            = var.etl_schedule_expression
  permissions_boundary_arn       = local.permissions_boundary_arn
  pseudonym_key_parameter_name   = var.pseudonym_key_parameter_name
}

module "analytics" {
  source = "./modules/analytics"

  database_name                  = local.database_name
  table_name                     = local.schema.table
  tables                         = local.tables
  enriched_bucket_name           = module.storage.bucket_names["enriched"]
  enriched_prefix                = var.enriched_prefix
  projection_start_date          = var.projection_start_date
  timezone                       = var.timezone
  workgroup_name                 = var.name_prefix
  athena_results_bucket_name     = module.storage.bucket_names["athena_results"]
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  kms_key_arn                    = var.kms_key_arn
  force_destroy                  = var.force_destroy
  sql_dir                        = local.sql_dir
}

module "monitoring" {
  source = "./modules/monitoring"

  name_prefix                = var.name_prefix
  alarm_email                = var.alarm_email
  kms_key_arn                = var.kms_key_arn
  ingest_function_name       = module.ingest.function_name
  etl_function_name          = module.etl.function_name
  etl_dead_letter_queue_name = module.etl.dead_letter_queue_name
  api_id                     = module.ingest.api_id
  api_stage_name             = module.ingest.api_stage_name
  ingest_log_group_name      = module.ingest.function_log_group_name
  api_4xx_threshold          = var.api_4xx_alarm_threshold
  no_update_alarm_hours      = var.no_update_alarm_hours
}
