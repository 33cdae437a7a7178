-- The report's member growth: members the chat gained and lost each day of the report's period.
-- Per chat and day: members_joined counts joins; members_left counts members who left, were removed or
-- were banned (banning someone who had already left is no departure); net_change is joined minus left.
-- Days without a join or a departure are not listed. Parameters, in order: the period's first and last day
-- (YYYY-MM-DD, partition days) and the chat id twice (NULL for every chat). chat_title is the chat's latest
-- known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        context_date,
        sum(CASE WHEN event = 'joined' THEN 1 ELSE 0 END) AS members_joined,
        sum(CASE WHEN event = 'joined' THEN 0 ELSE 1 END) AS members_left
    FROM "${database}"."member_events"
    WHERE (event IN ('joined', 'left', 'kicked') OR (event = 'banned' AND old_status NOT IN ('left', 'kicked')))
      AND context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
    GROUP BY chat_id, context_date
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.context_date,
    daily.members_joined,
    daily.members_left,
    daily.members_joined - daily.members_left AS net_change
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date ASC
