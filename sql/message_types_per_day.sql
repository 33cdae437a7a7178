-- What kinds of messages did the chat get each day?
-- Messages per day and message_type (text, photo, sticker, service...), most frequent type first.
SELECT
    context_date,
    message_type,
    count(*) AS message_count
FROM "${database}"."${table}"
GROUP BY context_date, message_type
ORDER BY context_date DESC, message_count DESC, message_type ASC
