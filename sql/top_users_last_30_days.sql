-- Who were the 10 most active users of each chat in the last 30 days?
-- Messages per chat and user in the partitions of the last 30 days (context_date from 30 days before
-- today, in UTC, onwards), with the first name of the user's latest message in the chat; ties go to the
-- lower user id. Channel posts are left out. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
chosen_messages AS (
    SELECT chat_id, user_id, user_first_name, sent_at, update_id
    FROM "${database}"."${table}"
    WHERE user_id IS NOT NULL
      AND CAST(context_date AS DATE) >= current_date - INTERVAL '30' DAY
),
${top_members}
