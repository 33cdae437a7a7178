-- The report's top members: the 10 members who sent the most messages in the report's period.
-- Messages per chat and user in the period's partitions, with the first name of the user's latest message
-- there; ties go to the lower user id. Channel posts are left out. Parameters, in order: the period's
-- first and last day (YYYY-MM-DD, partition days) and the chat id twice (NULL for every chat). chat_title
-- is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
period_messages AS (
    SELECT
        chat_id,
        user_id,
        user_first_name,
        count(*) OVER (PARTITION BY chat_id, user_id) AS message_count,
        row_number() OVER (PARTITION BY chat_id, user_id ORDER BY sent_at DESC, update_id DESC) AS recency
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
      AND context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
),
ranked AS (
    SELECT
        chat_id,
        user_id,
        user_first_name,
        message_count,
        row_number() OVER (PARTITION BY chat_id ORDER BY message_count DESC, user_id ASC) AS user_rank
    FROM period_messages
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
