package dev.wsmanager.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;

class ListenerOverridesTest {
  static class OpensOnly implements StreamListener {
    @Override
    public void onOpen(ManagedStream stream) {}
  }

  static class OpensAndCloses extends OpensOnly {
    @Override
    public void onClosed(ManagedStream stream) {}
  }

  @Test
  void aDefaultMethodLeftAloneIsNotOverridden() {
    assertThat(ListenerOverrides.of(StreamListener.NONE))
        .isEqualTo(new ListenerOverrides(false, false, false, false, false));
    StreamListener failuresOnly =
        new StreamListener() {
          @Override
          public void onFailure(ManagedStream stream, FailureReason reason, Throwable cause) {}
        };
    assertThat(ListenerOverrides.of(failuresOnly))
        .isEqualTo(new ListenerOverrides(false, false, true, false, false));
  }

  @Test
  void anOverrideInASuperclassCounts() {
    assertThat(ListenerOverrides.of(new OpensAndCloses()))
        .isEqualTo(new ListenerOverrides(true, false, false, false, true));
  }

  @Test
  void aProxyGetsEveryCallback() {
    StreamListener proxy =
        (StreamListener)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {StreamListener.class},
                (p, method, args) -> null);
    assertThat(ListenerOverrides.of(proxy))
        .isEqualTo(new ListenerOverrides(true, true, true, true, true));
  }
}
