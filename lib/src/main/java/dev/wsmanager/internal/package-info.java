/**
 * The implementation; no part of the API. Only {@link dev.wsmanager.internal.Engine} (and its
 * {@code Config}) is public, because {@code dev.wsmanager.WsManager} needs it; nothing here is
 * meant to be used directly, and any of it may change in any release.
 *
 * <p>One job per file: {@code StreamLoop} is a stream's state machine, reaching its manager through
 * {@code StreamContext}; {@code StreamHandle} is the stream its user holds; {@code Retries} keeps
 * its failures and decides the next wait or giving up; {@code IdleWatch} says when it last showed
 * life. {@code Connection} is one attempt, counting its messages in its own {@code MessageCounter}
 * ({@code ConnectionHistory} sums them) and running the per-message hooks {@code ConnectionHooks}
 * gives it (heartbeat, delay); {@code FailureClassifier} turns what OkHttp reports into a {@code
 * Disconnect}; {@code MessageDelivery} and {@code QueuedDelivery} hand messages to the listener;
 * {@code SerialCallbacks} delivers one stream's lifecycle callbacks on the {@code
 * CallbackExecutor}; {@code Sender} is the outbound side. Across streams: {@code AdmissionLimiter}
 * spaces connection attempts and {@code ConnectSlots} caps handshakes in flight; {@code
 * ClientShards} spreads streams over OkHttp clients; {@code ManagerMetrics} and {@code
 * RegistryBinding} keep and export the metrics; {@code OwnedThreads} tracks every thread the
 * manager starts.
 */
package dev.wsmanager.internal;
