package dev.wsmanager.testing;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import okio.ByteString;

/** Records every callback as a short string, in order. */
public class RecordingListener implements StreamListener {
  public final List<String> events = new CopyOnWriteArrayList<>();
  public final List<String> texts = new CopyOnWriteArrayList<>();
  public final List<FailureReason> failures = new CopyOnWriteArrayList<>();
  public final List<Throwable> causes = new CopyOnWriteArrayList<>();

  @Override
  public void onOpen(ManagedStream stream) {
    events.add("open");
  }

  @Override
  public void onText(ManagedStream stream, String text) {
    texts.add(text);
  }

  @Override
  public void onBinary(ManagedStream stream, ByteString bytes) {
    texts.add("binary:" + bytes.hex());
  }

  @Override
  public void onStateChange(ManagedStream stream, StreamState from, StreamState to) {
    events.add(from + "->" + to);
  }

  @Override
  public void onFailure(ManagedStream stream, FailureReason reason, Throwable cause) {
    events.add("failure:" + reason.label());
    failures.add(reason);
    causes.add(cause);
  }

  @Override
  public void onGaveUp(ManagedStream stream, FailureReason reason, Throwable cause) {
    events.add("gaveUp:" + (reason == null ? "none" : reason.label()));
  }

  @Override
  public void onClosed(ManagedStream stream) {
    events.add("closed");
  }

  public long count(String event) {
    return new ArrayList<>(events).stream().filter(event::equals).count();
  }
}
