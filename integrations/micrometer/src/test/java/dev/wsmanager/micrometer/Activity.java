package dev.wsmanager.micrometer;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;

/**
 * The same activity for every comparison: one stream that opens, receives and sends, and one the
 * server rejects with 404 (a fatal failure), so that every metric has a non-zero series.
 */
final class Activity {
  private Activity() {}

  static void run(WsManager manager, Peer peer) {
    run(manager, peer, null);
  }

  private static StreamSpec spec(String id, String url, String group) {
    StreamSpec.Builder b = StreamSpec.builder(id, url);
    return (group == null ? b : b.group(group)).build();
  }

  /** The activity with both streams in {@code group} (no group when {@code null}). */
  static void run(WsManager manager, Peer peer, String group) {
    ManagedStream ok = manager.open(spec("ok", peer.url("/feed"), group));
    ManagedStream bad = manager.open(spec("bad", peer.url("/reject"), group));
    Await.until("stream 'ok' open", () -> ok.state() == StreamState.OPEN);
    Await.until("stream 'bad' failed", () -> bad.state() == StreamState.FAILED);
    Await.until("the greeting", () -> manager.stats().messagesReceived() == 1);
    ok.send("ping");
    Await.until("the message sent", () -> manager.stats().messagesSent() == 1);
  }
}
