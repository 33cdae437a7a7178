-- The report's most reacted messages: the messages of the report's period with the most reactions now.
-- The 10 messages of each chat with the most reactions now, among the messages of the period's partitions;
-- ties go to the lower message id. A reaction's count on a message now: users adding it minus users
-- removing it (message_reaction), plus its anonymous total in the message's latest message_reaction_count
-- update; only positive counts add up. message_text is the text (or caption) as first sent. Parameters, in
-- order: the period's first and last day (YYYY-MM-DD, partition days) and the chat id twice (NULL for every
-- chat). chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
${current_reactions},
chosen_messages AS (
    SELECT chat_id, message_id, context_date, user_id, user_first_name, text, caption
    FROM "${database}"."${table}"
    WHERE context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR chat_id = CAST(? AS BIGINT))
),
${most_reacted}
