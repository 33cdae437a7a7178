-- At what time of day is the chat active?
-- Messages per hour of the day (0 to 23) in the pipeline's time zone, over all days; hours without
-- messages are listed with 0, so the result always has 24 rows.
WITH messages_per_hour AS (
    SELECT
        hour(sent_at AT TIME ZONE '${timezone}') AS hour_of_day,
        count(*) AS message_count
    FROM "${database}"."${table}"
    GROUP BY 1
)
SELECT
    hours.hour_of_day,
    COALESCE(messages_per_hour.message_count, 0) AS message_count
FROM (
    VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11),
           (12), (13), (14), (15), (16), (17), (18), (19), (20), (21), (22), (23)
) AS hours (hour_of_day)
LEFT JOIN messages_per_hour ON messages_per_hour.hour_of_day = hours.hour_of_day
ORDER BY hours.hour_of_day ASC
