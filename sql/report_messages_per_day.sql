-- The report's first chart: messages, and the members who sent them, each day of the report's period.
-- The report's first chart. Parameters, in order: the period's first and last day (YYYY-MM-DD, partition
-- days) and the chat id twice (NULL for every chat). Every message counts (channel posts, media and
-- service messages included); active_users counts the different users who sent one. Days without a
-- message are not listed. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        context_date,
        count(*) AS message_count,
        count(DISTINCT user_id) AS active_users
    FROM "${database}"."${table}"
    WHERE context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
    GROUP BY chat_id, context_date
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.context_date,
    daily.message_count,
    daily.active_users
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date ASC
