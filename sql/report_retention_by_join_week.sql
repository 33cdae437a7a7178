-- The report's retention: of the members who joined in the report's period, the share who posted later.
-- Cohorts by join week (weeks start on Monday and are made of partition days), counting only the joins of
-- the period's partitions; joined counts the distinct users with a join that week. week_N_share is the
-- share of them who sent at least one message other than a service message in the chat in the Nth week
-- after (at any date, inside the period or after it), rounded to 3 decimals, or NULL while that week has
-- not begun (it starts after the lake's latest day). Parameters, in order: the period's first and last day
-- (YYYY-MM-DD, partition days) and the chat id twice (NULL for every chat). chat_title is the chat's latest
-- known title.
WITH chat_titles AS (
${chat_titles}
),
latest_day AS (
    SELECT max(context_date) AS last_day
    FROM (
        SELECT context_date FROM "${database}"."${table}"
        UNION ALL
        SELECT context_date FROM "${database}"."member_events"
    ) AS days
),
cohorts AS (
    SELECT DISTINCT
        chat_id,
        user_id,
        CAST(date_trunc('week', context_date) AS DATE) AS join_week
    FROM "${database}"."member_events"
    WHERE event = 'joined'
      AND context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
),
posting_weeks AS (
    SELECT DISTINCT
        chat_id,
        user_id,
        CAST(date_trunc('week', context_date) AS DATE) AS posting_week
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
      AND message_type <> 'service'
),
members AS (
    SELECT
        cohorts.chat_id,
        cohorts.join_week,
        cohorts.user_id,
        max(CASE WHEN posting_weeks.posting_week = CAST(cohorts.join_week + INTERVAL '7' DAY AS DATE) THEN 1 ELSE 0 END) AS posted_week_1,
        max(CASE WHEN posting_weeks.posting_week = CAST(cohorts.join_week + INTERVAL '14' DAY AS DATE) THEN 1 ELSE 0 END) AS posted_week_2,
        max(CASE WHEN posting_weeks.posting_week = CAST(cohorts.join_week + INTERVAL '21' DAY AS DATE) THEN 1 ELSE 0 END) AS posted_week_3,
        max(CASE WHEN posting_weeks.posting_week = CAST(cohorts.join_week + INTERVAL '28' DAY AS DATE) THEN 1 ELSE 0 END) AS posted_week_4
    FROM cohorts
    LEFT JOIN posting_weeks
        ON posting_weeks.chat_id = cohorts.chat_id AND posting_weeks.user_id = cohorts.user_id
    GROUP BY cohorts.chat_id, cohorts.join_week, cohorts.user_id
)
SELECT
    members.chat_id,
    chat_titles.chat_title,
    members.join_week,
    count(*) AS joined,
    CASE WHEN CAST(members.join_week + INTERVAL '7' DAY AS DATE) <= latest_day.last_day THEN round(avg(members.posted_week_1), 3) END AS week_1_share,
    CASE WHEN CAST(members.join_week + INTERVAL '14' DAY AS DATE) <= latest_day.last_day THEN round(avg(members.posted_week_2), 3) END AS week_2_share,
    CASE WHEN CAST(members.join_week + INTERVAL '21' DAY AS DATE) <= latest_day.last_day THEN round(avg(members.posted_week_3), 3) END AS week_3_share,
    CASE WHEN CAST(members.join_week + INTERVAL '28' DAY AS DATE) <= latest_day.last_day THEN round(avg(members.posted_week_4), 3) END AS week_4_share
FROM members
CROSS JOIN latest_day
LEFT JOIN chat_titles ON chat_titles.chat_id = members.chat_id
GROUP BY members.chat_id, chat_titles.chat_title, members.join_week, latest_day.last_day
ORDER BY members.chat_id ASC, members.join_week DESC
