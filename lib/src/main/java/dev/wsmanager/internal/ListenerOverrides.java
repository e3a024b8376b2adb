package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamState;

/**
 * Which lifecycle callbacks a listener's class overrides, found once per class. A callback the
 * listener leaves to {@link StreamListener}'s empty default is not queued at all: at 19,000
 * streams, queueing the state changes of a listener that ignores them was most of the callback work
 * while opening and closing them. A class whose methods cannot be told apart (a proxy, say) counts
 * as overriding everything.
 */
record ListenerOverrides(
    boolean onOpen, boolean onStateChange, boolean onFailure, boolean onGaveUp, boolean onClosed) {

  private static final ClassValue<ListenerOverrides> BY_CLASS =
      new ClassValue<>() {
        @Override
        protected ListenerOverrides computeValue(Class<?> type) {
          return new ListenerOverrides(
              overrides(type, "onOpen", ManagedStream.class),
              overrides(
                  type, "onStateChange", ManagedStream.class, StreamState.class, StreamState.class),
              overrides(
                  type, "onFailure", ManagedStream.class, FailureReason.class, Throwable.class),
              overrides(
                  type, "onGaveUp", ManagedStream.class, FailureReason.class, Throwable.class),
              overrides(type, "onClosed", ManagedStream.class));
        }
      };

  static ListenerOverrides of(StreamListener listener) {
    return BY_CLASS.get(listener.getClass());
  }

  private static boolean overrides(Class<?> type, String name, Class<?>... parameters) {
    try {
      return type.getMethod(name, parameters).getDeclaringClass() != StreamListener.class;
    } catch (NoSuchMethodException | SecurityException e) {
      return true;
    }
  }
}
