-- What kinds of messages did each chat get each day?
-- Messages per chat, day and message_type (text, photo, sticker, service...), most frequent type first.
-- chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        context_date,
        message_type,
        count(*) AS message_count
    FROM "${database}"."${table}"
    GROUP BY chat_id, context_date, message_type
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.context_date,
    daily.message_type,
    daily.message_count
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date DESC, daily.message_count DESC, daily.message_type ASC
