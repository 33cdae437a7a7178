-- The report's message length: how long the chat's text messages were each day of the report's period.
-- Per chat and day: text_messages counts the messages with a text (captions are not texts), and
-- average_message_length is their average length in code points, rounded half away from zero to an integer. Days without a
-- text message are not listed. Parameters, in order: the period's first and last day (YYYY-MM-DD,
-- partition days) and the chat id twice (NULL for every chat). chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        context_date,
        count(*) AS text_messages,
        CAST(ROUND(AVG(length(text))) AS INTEGER) AS average_message_length
    FROM "${database}"."${table}"
    WHERE text IS NOT NULL
      AND context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
    GROUP BY chat_id, context_date
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.context_date,
    daily.text_messages,
    daily.average_message_length
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date ASC
