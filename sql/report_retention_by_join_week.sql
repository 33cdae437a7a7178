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
cohorts AS (
    SELECT DISTINCT
        chat_id,
        user_id,
        CAST(date_trunc('week', context_date) AS DATE) AS join_week
    FROM "${database}"."member_events"
    WHERE event = 'joined'
      AND context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
),
${retention_shares}
