-- How many messages did each user send in each chat each day?
-- One row per chat, user, first name and day: latest day first, then the day's most active users;
-- channel posts (no user) are left out. A user who changed their first name during a day gets one row
-- per name. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        user_id,
        user_first_name,
        context_date,
        count(*) AS message_count
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
    GROUP BY chat_id, user_id, user_first_name, context_date
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.user_id,
    daily.user_first_name,
    daily.context_date,
    daily.message_count
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date DESC, daily.message_count DESC, daily.user_id ASC, daily.user_first_name ASC NULLS LAST
