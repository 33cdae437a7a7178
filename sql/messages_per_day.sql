-- How many messages did the chat get each day?
-- Every row counts: channel posts, media and service messages (members joining, pins...) included.
SELECT
    context_date,
    count(*) AS message_count
FROM "${database}"."${table}"
GROUP BY context_date
ORDER BY context_date DESC
