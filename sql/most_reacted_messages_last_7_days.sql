-- Which messages of the last 7 days have the most reactions in each chat?
-- The 10 messages of each chat with the most reactions now, among the messages of the partitions of the
-- last 7 days (context_date from 7 days before today, in UTC, onwards); ties go to the lower message id.
-- A reaction's count on a message now: users adding it minus users removing it (message_reaction), plus
-- its anonymous total in the message's latest message_reaction_count update; only positive counts add
-- up. message_text is the text (or caption) as first sent. chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
${current_reactions},
chosen_messages AS (
    SELECT chat_id, message_id, context_date, user_id, user_first_name, text, caption
    FROM "${database}"."${table}"
    WHERE CAST(context_date AS DATE) >= current_date - INTERVAL '7' DAY
),
${most_reacted}
