-- How long, on average, were each user's text messages in each chat each day?
-- Length in Unicode code points, rounded half away from zero to an integer; only messages with text
-- (captions of media are not text) and a user (channel posts are left out).
-- chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
lengths AS (
    SELECT
        chat_id,
        user_id,
        user_first_name,
        context_date,
        CAST(ROUND(AVG(length(text))) AS INTEGER) AS average_message_length
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
      AND text IS NOT NULL
    GROUP BY chat_id, user_id, user_first_name, context_date
)
SELECT
    lengths.chat_id,
    chat_titles.chat_title,
    lengths.user_id,
    lengths.user_first_name,
    lengths.context_date,
    lengths.average_message_length
FROM lengths
LEFT JOIN chat_titles ON chat_titles.chat_id = lengths.chat_id
ORDER BY lengths.chat_id ASC, lengths.context_date DESC, lengths.average_message_length DESC, lengths.user_id ASC, lengths.user_first_name ASC NULLS LAST
