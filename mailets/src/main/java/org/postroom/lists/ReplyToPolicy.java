package org.postroom.lists;

/** Where replies to a list post go. */
public enum ReplyToPolicy {
    /** Reply-To is left as the poster set it: replies go to the poster. */
    POSTER,
    /** Reply-To is set to the list address: replies go to the list. */
    LIST
}
