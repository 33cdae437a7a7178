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
message_reactions AS (
    SELECT
        chat_id,
        message_id,
        sum(reaction_count) AS reaction_count
    FROM current_reactions
    GROUP BY chat_id, message_id
),
ranked AS (
    SELECT
        messages.chat_id,
        messages.message_id,
        messages.context_date,
        messages.user_id,
        messages.user_first_name,
        COALESCE(messages.text, messages.caption) AS message_text,
        message_reactions.reaction_count,
        row_number() OVER (
            PARTITION BY messages.chat_id ORDER BY message_reactions.reaction_count DESC, messages.message_id ASC
        ) AS message_rank
    FROM "${database}"."${table}" AS messages
    JOIN message_reactions
        ON message_reactions.chat_id = messages.chat_id AND message_reactions.message_id = messages.message_id
    WHERE messages.context_date BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) AND (CAST(? AS BIGINT) IS NULL OR messages.chat_id = CAST(? AS BIGINT))
)
SELECT
    ranked.chat_id,
    chat_titles.chat_title,
    ranked.message_id,
    ranked.context_date,
    ranked.user_id,
    ranked.user_first_name,
    ranked.message_text,
    ranked.reaction_count
FROM ranked
LEFT JOIN chat_titles ON chat_titles.chat_id = ranked.chat_id
WHERE ranked.message_rank <= 10
ORDER BY ranked.chat_id ASC, ranked.reaction_count DESC, ranked.message_id ASC
