package dev.wsmanager.spring.boot;

import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.WsManager;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The Actuator endpoint {@code wsmanager} ({@code /actuator/wsmanager} once exposed): the manager's
 * streams, with the fields of the JSON view's {@code streams[]}.
 */
@Endpoint(id = "wsmanager")
public class WsManagerStreamsEndpoint {
  private final WsManager manager;

  WsManagerStreamsEndpoint(WsManager manager) {
    this.manager = manager;
  }

  /**
   * The manager and its live streams.
   *
   * @return {@code name}, {@code running} and {@code streams}
   */
  @ReadOperation
  public Map<String, Object> streams() {
    List<Map<String, Object>> streams = new ArrayList<>();
    for (StreamSnapshot s : manager.streams()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("manager", manager.name());
      m.put("id", s.id());
      m.put("url", s.url());
      m.put("state", s.state().label());
      m.put("attempts", s.attempts());
      m.put("retries", s.retries());
      m.put("consecutiveFailures", s.consecutiveFailures());
      m.put(
          "lastFailureReason",
          s.lastFailureReason() == null ? null : s.lastFailureReason().label());
      m.put("lastError", s.lastError());
      m.put("openedAt", text(s.openedAt()));
      m.put("lastMessageAt", text(s.lastMessageAt()));
      m.put("messagesReceived", s.messagesReceived());
      m.put("messagesSent", s.messagesSent());
      m.put("queuedBytes", s.queuedBytes());
      streams.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", manager.name());
    out.put("running", manager.isRunning());
    out.put("streams", streams);
    return out;
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}
