-- How many edits did each user make in each chat each day?
-- Per chat, user, first name and day: edit_count counts every edit (a message edited twice counts twice),
-- edited_messages the different messages edited. Edits of channel posts (no user) are left out; a user
-- who changed their first name during a day gets one row per name. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
daily AS (
    SELECT
        chat_id,
        user_id,
        user_first_name,
        context_date,
        count(*) AS edit_count,
        count(DISTINCT message_id) AS edited_messages
    FROM "${database}"."message_edits"
    WHERE user_id IS NOT NULL
    GROUP BY chat_id, user_id, user_first_name, context_date
)
SELECT
    daily.chat_id,
    chat_titles.chat_title,
    daily.user_id,
    daily.user_first_name,
    daily.context_date,
    daily.edit_count,
    daily.edited_messages
FROM daily
LEFT JOIN chat_titles ON chat_titles.chat_id = daily.chat_id
ORDER BY daily.chat_id ASC, daily.context_date DESC, daily.edit_count DESC, daily.user_id ASC, daily.user_first_name ASC NULLS LAST
