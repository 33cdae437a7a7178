-- How many messages did each chat get each day?
-- Every row counts: channel posts, media and service messages (members joining, pins...) included.
-- One row per chat and day; chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        context_date,
        count(*) AS message_count
    FROM "${database}"."${table}"
    GROUP BY chat_id, context_date
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.context_date,
    daily.message_count
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date DESC
