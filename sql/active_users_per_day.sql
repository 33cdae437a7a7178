-- How many different users were active in each chat each day?
-- A user is active on a day when they sent at least one message (of any type) that day;
-- channel posts have no user and do not count. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        context_date,
        count(DISTINCT user_id) AS active_users
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
    GROUP BY chat_id, context_date
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.context_date,
    daily.active_users
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date DESC
