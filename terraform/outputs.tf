output "webhook_url" {
  description = "URL to register with Telegram's setWebhook (url parameter)."
  value       = module.ingest.webhook_url
}

output "webhook_secret_arn" {
  description = "ARN of the Secrets Manager secret with the webhook's secret token. `telegram-datalake webhook set` writes the token there (and registers it with Telegram); it is never a Terraform value."
  value       = module.ingest.webhook_secret_arn
}

output "raw_bucket_name" {
  description = "Bucket with the raw updates: <raw_prefix>/context_date=YYYY-MM-DD/<update_id>.json."
  value       = module.storage.bucket_names["raw"]
}

output "enriched_bucket_name" {
  description = "Bucket with the Parquet files: the messages' <enriched_prefix>/context_date=YYYY-MM-DD/telegram.parquet, every other table's <table>/context_date=YYYY-MM-DD/<table>.parquet."
  value       = module.storage.bucket_names["enriched"]
}

output "athena_results_bucket_name" {
  description = "Bucket Athena writes query results to."
  value       = module.storage.bucket_names["athena_results"]
}

output "artifacts_bucket_name" {
  description = "Bucket with deployment artifacts (the pyarrow layer package)."
  value       = module.storage.bucket_names["artifacts"]
}

output "ingest_function_name" {
  description = "Name of the ingest Lambda function (webhook)."
  value       = module.ingest.function_name
}

output "etl_function_name" {
  description = "Name of the ETL Lambda function; invoke it with {\"date\": \"YYYY-MM-DD\"} or {\"start_date\": ..., \"end_date\": ...} to (re)process days."
  value       = module.etl.function_name
}

output "glue_database_name" {
  description = "Glue catalog database of the table."
  value       = module.analytics.database_name
}

output "glue_table_name" {
  description = "Glue catalog table of the messages, to query with Athena."
  value       = module.analytics.table_name
}

output "glue_table_names" {
  description = "Glue catalog tables by table, one per sql/tables/*.json: telegram (the messages, glue_table_name), message_edits, member_events, reactions."
  value       = module.analytics.table_names
}

output "athena_workgroup_name" {
  description = "Athena workgroup to run queries in (results location, encryption and scan limit are enforced)."
  value       = module.analytics.workgroup_name
}

output "named_query_ids" {
  description = "Ids of the saved Athena queries by name: create_table (the messages table's DDL), create_table_<table> (every other table's), and one per sql/*.sql."
  value       = module.analytics.named_query_ids
}

output "etl_dead_letter_queue_url" {
  description = "URL of the SQS queue with failed ETL runs and undeliverable schedule events."
  value       = module.etl.dead_letter_queue_url
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarms notify, or null without alarm_email."
  value       = module.monitoring.sns_topic_arn
}

output "permissions_boundary_arn" {
  description = "ARN of the permissions boundary every role of the deployment carries."
  value       = local.permissions_boundary_arn
}

output "webhook_secret_rotation_overlap_seconds" {
  description = "How long after `telegram-datalake webhook rotate-secret` the webhook still accepts the previous secret token."
  value       = var.webhook_secret_rotation_overlap_seconds
}

output "pseudonym_key_parameter_name" {
  description = "The SSM SecureString the ETL reads its pseudonym key from (`telegram-datalake pseudonym-key init` writes it); null when the tables keep user ids."
  value       = module.etl.pseudonym_key_parameter_name
}
