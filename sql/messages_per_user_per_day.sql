-- How many messages did each user send each day?
-- One row per user, first name and day: latest day first, then the day's most active users;
-- channel posts (no user) are left out.
-- A user who changed their first name during a day gets one row per name.
SELECT
    user_id,
    user_first_name,
    context_date,
    count(*) AS message_count
FROM "${database}"."${table}"
WHERE user_id IS NOT NULL
GROUP BY user_id, user_first_name, context_date
ORDER BY context_date DESC, message_count DESC, user_id ASC, user_first_name ASC NULLS LAST
