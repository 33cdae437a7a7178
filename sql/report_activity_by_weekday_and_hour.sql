-- The report's activity map: messages per weekday and hour of the report's period, in local time.
-- Messages per chat, weekday (1 Monday to 7 Sunday) and hour (0 to 23) of the time they were sent, in the
-- pipeline's time zone; only cells with messages are listed. Parameters, in order: the period's first and
-- last day (YYYY-MM-DD, partition days) and the chat id twice (NULL for every chat). chat_title is the
-- chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
local_times AS (
    SELECT
        chat_id,
        CAST(sent_at AT TIME ZONE '${timezone}' AS DATE) AS local_day,
        hour(sent_at AT TIME ZONE '${timezone}') AS hour_of_day
    FROM "${database}"."${table}"
    WHERE context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
),
cells AS (
    SELECT
        chat_id,
        -- 2001-01-01 was a Monday; the weekday is counted from it, alike in Trino and DuckDB.
        date_diff('day', DATE '2001-01-01', local_day) % 7 + 1 AS weekday,
        hour_of_day,
        count(*) AS message_count
    FROM local_times
    GROUP BY 1, 2, 3
)
SELECT
    cells.chat_id,
    chat_titles.chat_title,
    cells.weekday,
    cells.hour_of_day,
    cells.message_count
FROM cells
LEFT JOIN chat_titles ON chat_titles.chat_id = cells.chat_id
ORDER BY cells.chat_id ASC, cells.weekday ASC, cells.hour_of_day ASC
