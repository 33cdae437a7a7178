-- How long, on average, were each user's text messages each day?
-- Length in Unicode code points, rounded half away from zero to an integer; only messages with text
-- (captions of media are not text) and a user (channel posts are left out).
SELECT
    user_id,
    user_first_name,
    context_date,
    CAST(ROUND(AVG(length(text))) AS INTEGER) AS average_message_length
FROM "${database}"."${table}"
WHERE user_id IS NOT NULL
  AND text IS NOT NULL
GROUP BY user_id, user_first_name, context_date
ORDER BY context_date DESC, average_message_length DESC, user_id ASC, user_first_name ASC NULLS LAST
