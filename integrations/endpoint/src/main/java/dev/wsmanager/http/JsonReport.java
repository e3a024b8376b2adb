package dev.wsmanager.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of {@code GET}: health, totals across the managers and one object per live stream.
 * Field names are a contract (see {@code docs/endpoint.md}); add fields, never rename them.
 */
final class JsonReport {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonReport() {}

  static byte[] write(boolean healthy, Instant now, List<WsManager> managers) throws IOException {
    List<ManagerStats> stats = new ArrayList<>(managers.size());
    for (WsManager m : managers) {
      stats.add(m.stats());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("status", healthy ? "healthy" : "unavailable");
      g.writeStringField("timestamp", now.toString());
      g.writeArrayFieldStart("managers");
      for (int i = 0; i < managers.size(); i++) {
        g.writeStartObject();
        g.writeStringField("name", managers.get(i).name());
        g.writeBooleanField("running", stats.get(i).running());
        g.writeEndObject();
      }
      g.writeEndArray();
      writeTotals(g, stats);
      g.writeArrayFieldStart("streams");
      for (WsManager m : managers) {
        for (StreamSnapshot s : m.streams()) {
          writeStream(g, m.name(), s);
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static void writeTotals(JsonGenerator g, List<ManagerStats> stats) throws IOException {
    long active = 0;
    long hwm = 0;
    long retries = 0;
    long creations = 0;
    long cleanups = 0;
    long attempts = 0;
    long received = 0;
    long sent = 0;
    long listenerErrors = 0;
    Map<FailureReason, Long> failures = new EnumMap<>(FailureReason.class);
    Map<StreamState, Long> byState = new EnumMap<>(StreamState.class);
    for (FailureReason r : FailureReason.values()) {
      failures.put(r, 0L);
    }
    for (StreamState s : StreamState.values()) {
      if (s != StreamState.CLOSED) {
        byState.put(s, 0L);
      }
    }
    for (ManagerStats s : stats) {
      active += s.activeConnections();
      hwm += s.activeConnectionsHwm();
      retries += s.retries();
      creations += s.streamCreations();
      cleanups += s.streamCleanups();
      attempts += s.connectionAttempts();
      received += s.messagesReceived();
      sent += s.messagesSent();
      listenerErrors += s.listenerErrors();
      s.connectionFailures().forEach((r, n) -> failures.merge(r, n, Long::sum));
      s.streamsByState().forEach((st, n) -> byState.merge(st, n, Long::sum));
    }
    g.writeObjectFieldStart("metrics");
    g.writeNumberField("activeConnections", active);
    g.writeNumberField("activeConnectionsHwm", hwm);
    g.writeNumberField("retryCount", retries);
    g.writeNumberField("streamCreations", creations);
    g.writeNumberField("streamCleanups", cleanups);
    g.writeNumberField("connectionAttempts", attempts);
    g.writeObjectFieldStart("connectionFailures");
    long totalFailures = 0;
    for (Map.Entry<FailureReason, Long> e : failures.entrySet()) {
      g.writeNumberField(e.getKey().label(), e.getValue());
      totalFailures += e.getValue();
    }
    g.writeEndObject();
    g.writeNumberField("connectionFailuresTotal", totalFailures);
    g.writeNumberField("messagesReceived", received);
    g.writeNumberField("messagesSent", sent);
    g.writeNumberField("listenerErrors", listenerErrors);
    g.writeObjectFieldStart("streamsByState");
    for (Map.Entry<StreamState, Long> e : byState.entrySet()) {
      g.writeNumberField(e.getKey().label(), e.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  private static void writeStream(JsonGenerator g, String manager, StreamSnapshot s)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("manager", manager);
    g.writeStringField("id", s.id());
    g.writeStringField("url", s.url());
    g.writeStringField("state", s.state().label());
    g.writeNumberField("attempts", s.attempts());
    g.writeNumberField("retries", s.retries());
    g.writeNumberField("consecutiveFailures", s.consecutiveFailures());
    g.writeStringField(
        "lastFailureReason", s.lastFailureReason() == null ? null : s.lastFailureReason().label());
    g.writeStringField("lastError", s.lastError());
    writeInstant(g, "openedAt", s.openedAt());
    writeInstant(g, "lastMessageAt", s.lastMessageAt());
    g.writeNumberField("messagesReceived", s.messagesReceived());
    g.writeNumberField("messagesSent", s.messagesSent());
    g.writeNumberField("queuedBytes", s.queuedBytes());
    g.writeEndObject();
  }

  private static void writeInstant(JsonGenerator g, String name, Instant instant)
      throws IOException {
    g.writeStringField(name, instant == null ? null : instant.toString());
  }
}
