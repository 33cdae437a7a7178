-- The report's top members: the 10 members who sent the most messages in the report's period.
-- Messages per chat and user in the period's partitions, with the first name of the user's latest message
-- there; ties go to the lower user id. Channel posts are left out. Parameters, in order: the period's
-- first and last day (YYYY-MM-DD, partition days) and the chat id twice (NULL for every chat). chat_title
-- is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
chosen_messages AS (
    SELECT chat_id, user_id, user_first_name, sent_at, update_id
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
      AND context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
),
${top_members}
