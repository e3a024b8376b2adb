package dev.wsmanager.internal;

import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * Records how late a stream's text messages arrive: the clock now minus the event time the
 * extractor reads, for one message in {@code sampling}. Used by the stream's reader thread only, so
 * the sampling countdown is a plain field.
 */
final class DelayRecorder {
  /** What the recorder reports to. */
  interface Sink {
    /** Now minus the event time: negative when the server's clock is ahead of ours. */
    void delay(long millis);

    void error(String what, RuntimeException e);
  }

  private final ToLongFunction<String> extractor;
  private final int sampling;
  private final LongSupplier clockMillis;
  private final Sink sink;
  private int countdown = 1; // the first message is always sampled

  DelayRecorder(
      ToLongFunction<String> extractor, int sampling, LongSupplier clockMillis, Sink sink) {
    this.extractor = extractor;
    this.sampling = sampling;
    this.clockMillis = clockMillis;
    this.sink = sink;
  }

  void record(String text) {
    if (--countdown > 0) {
      return;
    }
    countdown = sampling;
    long eventMillis;
    try {
      eventMillis = extractor.applyAsLong(text);
    } catch (RuntimeException e) {
      sink.error("event time extractor", e);
      return;
    }
    if (eventMillis > 0) {
      sink.delay(clockMillis.getAsLong() - eventMillis);
    }
  }
}
