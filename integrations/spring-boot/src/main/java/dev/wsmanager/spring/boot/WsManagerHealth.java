package dev.wsmanager.spring.boot;

import dev.wsmanager.ManagerStats;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the {@code wsManager} health indicator reports, apart from Spring Boot's types (which moved
 * between Boot 3 and 4): DOWN once the manager is closed, and, under the {@code DOWN} policy, while
 * a stream is FAILED; details: whether it runs and the live streams by state.
 */
final class WsManagerHealth {
  final boolean up;
  final Map<String, Object> details;

  private WsManagerHealth(boolean up, Map<String, Object> details) {
    this.up = up;
    this.details = details;
  }

  static WsManagerHealth of(WsManager manager, WsManagerProperties.FailedStreamsPolicy policy) {
    ManagerStats stats = manager.stats();
    Map<String, Long> byState = new LinkedHashMap<>();
    for (StreamState state : StreamState.values()) {
      Long n = stats.streamsByState().get(state);
      if (n != null) {
        byState.put(state.label(), n);
      }
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("manager", manager.name());
    details.put("running", manager.isRunning());
    details.put("streams", byState);
    details.put("failedStreamsPolicy", policy.name().toLowerCase(Locale.ROOT));
    long failed = stats.streamsByState().getOrDefault(StreamState.FAILED, 0L);
    boolean up =
        manager.isRunning()
            && (policy == WsManagerProperties.FailedStreamsPolicy.IGNORE || failed == 0);
    return new WsManagerHealth(up, details);
  }
}
