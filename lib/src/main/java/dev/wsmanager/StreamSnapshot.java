package dev.wsmanager;

import java.time.Instant;

/**
 * A read-only view of one stream at one instant.
 *
 * @param id the stream id
 * @param url the stream URL with user info and query values masked
 * @param state the state
 * @param attempts connection attempts made, including the first
 * @param retries reconnects scheduled after a failure or disconnect
 * @param consecutiveFailures failures since the backoff last reset
 * @param lastFailureReason the last failure's reason, or {@code null}
 * @param lastError a one-line description of the last failure, or {@code null}
 * @param openedAt when the current (or last) connection opened, or {@code null}
 * @param lastMessageAt when the last message arrived, or {@code null}; on a stream receiving
 *     thousands of messages a second, when one of its last 64 messages arrived
 * @param messagesReceived messages received over the stream's life
 * @param messagesSent messages sent over the stream's life
 * @param queuedBytes bytes queued on the current connection
 * @param group the stream's group ({@link StreamSpec#group()}), or {@code null}
 */
public record StreamSnapshot(
    String id,
    String url,
    StreamState state,
    long attempts,
    long retries,
    int consecutiveFailures,
    FailureReason lastFailureReason,
    String lastError,
    Instant openedAt,
    Instant lastMessageAt,
    long messagesReceived,
    long messagesSent,
    long queuedBytes,
    String group) {}
