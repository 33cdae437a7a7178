-- Who were the 10 most active users of each chat in the last 30 days?
-- Messages per chat and user in the partitions of the last 30 days (context_date from 30 days before
-- today, in UTC, onwards), with the first name of the user's latest message in the chat; ties go to the
-- lower user id. Channel posts are left out. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
recent_messages AS (
    SELECT
        chat_id,
        user_id,
        user_first_name,
        count(*) OVER (PARTITION BY chat_id, user_id) AS message_count,
        row_number() OVER (PARTITION BY chat_id, user_id ORDER BY sent_at DESC, update_id DESC) AS recency
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
      AND CAST(context_date AS DATE) >= current_date - INTERVAL '30' DAY
),
ranked AS (
    SELECT
        chat_id,
        user_id,
        user_first_name,
        message_count,
        row_number() OVER (PARTITION BY chat_id ORDER BY message_count DESC, user_id ASC) AS user_rank
    FROM recent_messages
    WHERE recency = 1
)
SELECT
    ranked.chat_id,
    chat_titles.chat_title,
    ranked.user_id,
    ranked.user_first_name,
    ranked.message_count
FROM ranked
LEFT JOIN chat_titles ON chat_titles.chat_id = ranked.chat_id
WHERE ranked.user_rank <= 10
ORDER BY ranked.chat_id ASC, ranked.message_count DESC, ranked.user_id ASC
