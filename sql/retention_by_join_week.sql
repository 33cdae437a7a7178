-- Of the users who joined each chat in a week, what share posted in each of the next four weeks?
-- Weeks start on Monday and are made of partition days (context_date). joined counts the distinct users
-- with a join that week (one who joins in two weeks is in both); week_N_share is the share of them who
-- sent at least one message other than a service message in the chat in the Nth week after, rounded to
-- 3 decimals, or NULL while that week has not begun (it starts after the lake's latest day).
-- chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
cohorts AS (
    SELECT DISTINCT
        chat_id,
        user_id,
        CAST(date_trunc('week', context_date) AS DATE) AS join_week
    FROM "${database}"."member_events"
    WHERE event = 'joined'
),
${retention_shares}
