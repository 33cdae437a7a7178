-- How many different users were active each day?
-- A user is active on a day when they sent at least one message (of any type) that day;
-- channel posts have no user and do not count.
SELECT
    context_date,
    count(DISTINCT user_id) AS active_users
FROM "${database}"."${table}"
WHERE user_id IS NOT NULL
GROUP BY context_date
ORDER BY context_date DESC
