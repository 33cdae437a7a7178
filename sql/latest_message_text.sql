-- What does each message say now, after its edits?
-- One row per message, newest first: text and caption are those of its latest edit (by edit time, then
-- update id), else as sent; edit_count counts its edits. context_date, the day it was sent, is NULL for a
-- message known only by its edits (sent before the lake began). chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
ranked_edits AS (
    SELECT
        chat_id,
        message_id,
        user_id,
        user_first_name,
        text,
        caption,
        count(*) OVER (PARTITION BY chat_id, message_id) AS edit_count,
        row_number() OVER (PARTITION BY chat_id, message_id ORDER BY edit_date DESC, update_id DESC) AS recency
    FROM "${database}"."message_edits"
),
latest_edits AS (
    SELECT
        chat_id,
        message_id,
        user_id,
        user_first_name,
        text,
        caption,
        edit_count
    FROM ranked_edits
    WHERE recency = 1
),
current_messages AS (
    SELECT
        COALESCE(messages.chat_id, latest_edits.chat_id) AS chat_id,
        COALESCE(messages.message_id, latest_edits.message_id) AS message_id,
        messages.context_date,
        COALESCE(messages.user_id, latest_edits.user_id) AS user_id,
        COALESCE(messages.user_first_name, latest_edits.user_first_name) AS user_first_name,
        COALESCE(latest_edits.edit_count, 0) AS edit_count,
        CASE WHEN latest_edits.message_id IS NULL THEN messages.text ELSE latest_edits.text END AS text,
        CASE WHEN latest_edits.message_id IS NULL THEN messages.caption ELSE latest_edits.caption END AS caption
    FROM "${database}"."${table}" AS messages
    FULL OUTER JOIN latest_edits
        ON latest_edits.chat_id = messages.chat_id AND latest_edits.message_id = messages.message_id
)
SELECT
    current_messages.chat_id,
    chat_titles.chat_title,
    current_messages.message_id,
    current_messages.context_date,
    current_messages.user_id,
    current_messages.user_first_name,
    current_messages.edit_count,
    current_messages.text,
    current_messages.caption
FROM current_messages
LEFT JOIN chat_titles ON chat_titles.chat_id = current_messages.chat_id
ORDER BY current_messages.chat_id ASC, current_messages.message_id DESC
