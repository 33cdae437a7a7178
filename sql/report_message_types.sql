-- The report's message types: how many messages of each kind the chat got in the report's period.
-- Messages per chat and message_type (text, photo, sticker, service...) in the period's partitions, the
-- most frequent first (ties by type). Parameters, in order: the period's first and last day (YYYY-MM-DD,
-- partition days) and the chat id twice (NULL for every chat). chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
types AS (
    SELECT
        chat_id,
        message_type,
        count(*) AS message_count
    FROM "${database}"."${table}"
    WHERE context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
    GROUP BY chat_id, message_type
)
SELECT
    types.chat_id,
    chat_titles.chat_title,
    types.message_type,
    types.message_count
FROM types
LEFT JOIN chat_titles ON chat_titles.chat_id = types.chat_id
ORDER BY types.chat_id ASC, types.message_count DESC, types.message_type ASC
