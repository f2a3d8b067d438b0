package org.postroom.lists;

/** Who may post to a list. */
public enum PostingPolicy {
    /** Only owners and moderators post; everyone else is refused. */
    ANNOUNCE,
    /** Active members, owners and moderators post; others are held for moderation. */
    MEMBERS,
    /** Anyone posts. */
    OPEN
}
