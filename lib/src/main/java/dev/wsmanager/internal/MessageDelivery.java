package dev.wsmanager.internal;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import okio.ByteString;

/**
 * Hands a stream's messages to its listener: directly on the connection's reader thread (the
 * default: nothing allocated, no thread handoff), or through a {@link QueuedDelivery}. Around a
 * direct callback the connection's {@link MessageCounter} records that the reader is busy, so a
 * timeout that passes meanwhile is blamed on the listener.
 */
final class MessageDelivery {
  private final StreamListener listener;
  private final ManagedStream stream;
  private final SerialCallbacks callbacks;
  private final QueuedDelivery queued; // null: direct

  MessageDelivery(
      StreamListener listener,
      ManagedStream stream,
      SerialCallbacks callbacks,
      QueuedDelivery queued) {
    this.listener = listener;
    this.stream = stream;
    this.callbacks = callbacks;
    this.queued = queued;
  }

  /** Delivers a text message; false if a full queue asks to disconnect. Reader thread. */
  boolean text(MessageCounter counter, String text) {
    if (queued != null) {
      return queued.offer(text);
    }
    counter.inCallback(true);
    try {
      listener.onText(stream, text);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      callbacks.threw("onText", t);
    } finally {
      counter.inCallback(false);
    }
    return true;
  }

  /** Delivers a binary message; false if a full queue asks to disconnect. Reader thread. */
  boolean binary(MessageCounter counter, ByteString bytes) {
    if (queued != null) {
      return queued.offer(bytes);
    }
    counter.inCallback(true);
    try {
      listener.onBinary(stream, bytes);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      callbacks.threw("onBinary", t);
    } finally {
      counter.inCallback(false);
    }
    return true;
  }
}
