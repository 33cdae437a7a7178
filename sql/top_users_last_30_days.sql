-- Who were the 10 most active users of the last 30 days?
-- Messages per user in the partitions of the last 30 days (context_date from 30 days before today,
-- in UTC, onwards), with the first name of each user's latest message; ties go to the lower user id.
-- Channel posts are left out.
WITH recent_messages AS (
    SELECT
        user_id,
        user_first_name,
        count(*) OVER (PARTITION BY user_id) AS message_count,
        row_number() OVER (PARTITION BY user_id ORDER BY sent_at DESC, update_id DESC) AS recency
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
      AND CAST(context_date AS DATE) >= current_date - INTERVAL '30' DAY
)
SELECT
    user_id,
    user_first_name,
    message_count
FROM recent_messages
WHERE recency = 1
ORDER BY message_count DESC, user_id ASC
LIMIT 10
