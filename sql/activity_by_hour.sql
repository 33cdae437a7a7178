-- At what time of day is each chat active?
-- Messages per chat and hour of the day (0 to 23) in the pipeline's time zone, over all days; hours
-- without messages are listed with 0, so each chat has 24 rows. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
messages_per_hour AS (
    SELECT
        chat_id,
        hour(sent_at AT TIME ZONE '${timezone}') AS hour_of_day,
        count(*) AS message_count
    FROM "${database}"."${table}"
    GROUP BY 1, 2
),
chats AS (
    SELECT DISTINCT chat_id
    FROM "${database}"."${table}"
)
SELECT
    chats.chat_id,
    chat_titles.chat_title,
    hours.hour_of_day,
    COALESCE(messages_per_hour.message_count, 0) AS message_count
FROM chats
CROSS JOIN (
    VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11),
           (12), (13), (14), (15), (16), (17), (18), (19), (20), (21), (22), (23)
) AS hours (hour_of_day)
LEFT JOIN messages_per_hour
    ON messages_per_hour.chat_id = chats.chat_id AND messages_per_hour.hour_of_day = hours.hour_of_day
LEFT JOIN chat_titles ON chat_titles.chat_id = chats.chat_id
ORDER BY chats.chat_id ASC, hours.hour_of_day ASC
