-- Which reactions are on each chat's messages now, and how many?
-- Per chat and reaction (reaction is the emoji or the custom emoji id; NULL for paid): reaction_count
-- adds up its count on every message now, and message_count counts the messages that carry it. A
-- reaction's count on a message now: users adding it minus users removing it (message_reaction), plus its
-- anonymous total in the message's latest message_reaction_count update; only positive counts add up.
-- chat_title is the chat's latest known title.
WITH chat_titles AS (
${chat_titles}
),
${current_reactions},
per_reaction AS (
    SELECT
        chat_id,
        reaction_type,
        reaction,
        sum(reaction_count) AS reaction_count,
        count(*) AS message_count
    FROM current_reactions
    GROUP BY chat_id, reaction_type, reaction
)
SELECT
    per_reaction.chat_id,
    chat_titles.chat_title,
    per_reaction.reaction_type,
    per_reaction.reaction,
    per_reaction.reaction_count,
    per_reaction.message_count
FROM per_reaction
LEFT JOIN chat_titles ON chat_titles.chat_id = per_reaction.chat_id
ORDER BY per_reaction.chat_id ASC, per_reaction.reaction_count DESC, per_reaction.reaction_type ASC, per_reaction.reaction ASC NULLS LAST
