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
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON form of {@code GET}: health, totals across the managers and one object per live stream.
 * Field names are a contract (see {@code docs/endpoint.md}); add fields, never rename them.
 */
final class JsonReport {
  private static final JsonFactory FACTORY = new JsonFactory();

  private JsonReport() {}

  /** Which streams to list: {@code offset}, {@code limit} and {@code streams} from the query. */
  static final class Page {
    final boolean streams;
    final int offset;
    final int limit;

    private Page(boolean streams, int offset, int limit) {
      this.streams = streams;
      this.offset = offset;
      this.limit = limit;
    }

    /**
     * Reads the paging parameters.
     *
     * @throws IllegalArgumentException with a one-line message naming the parameter and the fix
     */
    static Page of(QueryString query, int defaultLimit, int maxLimit) {
      boolean streams =
          query
              .single("streams")
              .map(
                  v -> {
                    switch (v.toLowerCase(Locale.ROOT)) {
                      case "true":
                        return true;
                      case "false":
                        return false;
                      default:
                        throw new IllegalArgumentException(
                            "streams must be true or false; got '" + Text.oneLine(v) + "'");
                    }
                  })
              .orElse(true);
      int limit =
          query.single("limit").map(v -> number("limit", v, 1, maxLimit)).orElse(defaultLimit);
      int offset =
          query.single("offset").map(v -> number("offset", v, 0, Integer.MAX_VALUE)).orElse(0);
      return new Page(streams, offset, limit);
    }

    private static int number(String name, String value, int min, int max) {
      try {
        int n = Integer.parseInt(value);
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          name
              + " must be a whole number from "
              + min
              + " to "
              + max
              + "; got '"
              + Text.oneLine(value)
              + "'");
    }
  }

  static byte[] write(boolean healthy, Instant now, List<WsManager> managers, Page page)
      throws IOException {
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
      writeGroups(g, managers);
      if (page.streams) {
        writeStreams(g, managers, stats, page);
      }
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  /**
   * The page of streams and, after it, where it sits: {@code page.total} live streams, {@code
   * page.next} the {@code offset} of the next page or {@code null}. Managers whose streams all lie
   * before the page are counted from their stats, not listed.
   */
  private static void writeStreams(
      JsonGenerator g, List<WsManager> managers, List<ManagerStats> stats, Page page)
      throws IOException {
    long total = 0;
    long skip = page.offset;
    int left = page.limit;
    g.writeArrayFieldStart("streams");
    for (int i = 0; i < managers.size(); i++) {
      long live = live(stats.get(i));
      total += live;
      if (left == 0 || skip >= live) {
        skip -= Math.min(skip, live);
        continue;
      }
      List<StreamSnapshot> snapshots = managers.get(i).streams();
      total += snapshots.size() - live;
      for (int j = (int) Math.min(skip, snapshots.size()); j < snapshots.size() && left > 0; j++) {
        writeStream(g, managers.get(i).name(), snapshots.get(j));
        left--;
      }
      skip = Math.max(0, skip - snapshots.size());
    }
    g.writeEndArray();
    long end = Math.min(total, (long) page.offset + page.limit);
    g.writeObjectFieldStart("page");
    g.writeNumberField("offset", page.offset);
    g.writeNumberField("limit", page.limit);
    g.writeNumberField("total", total);
    if (end < total) {
      g.writeNumberField("next", end);
    } else {
      g.writeNullField("next");
    }
    g.writeEndObject();
  }

  /** Live streams (every state but closed) from the stats, without taking snapshots. */
  private static long live(ManagerStats stats) {
    long n = 0;
    for (Map.Entry<StreamState, Long> e : stats.streamsByState().entrySet()) {
      if (e.getKey() != StreamState.CLOSED) {
        n += e.getValue();
      }
    }
    return n;
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
    long heartbeatSuccesses = 0;
    long heartbeatTimeouts = 0;
    long negativeDelays = 0;
    long adminOperations = 0;
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
      heartbeatSuccesses += s.heartbeatSuccesses();
      heartbeatTimeouts += s.heartbeatTimeouts();
      negativeDelays += s.negativeMessageDelays();
      adminOperations += s.adminOperations();
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
    g.writeNumberField("heartbeatSuccesses", heartbeatSuccesses);
    g.writeNumberField("heartbeatTimeouts", heartbeatTimeouts);
    g.writeNumberField("negativeMessageDelays", negativeDelays);
    g.writeNumberField("adminOperations", adminOperations);
    g.writeObjectFieldStart("streamsByState");
    for (Map.Entry<StreamState, Long> e : byState.entrySet()) {
      g.writeNumberField(e.getKey().label(), e.getValue());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  /**
   * Per stream group ({@code StreamSpec.group}), added up across the managers: the same numbers as
   * the {@code group} label's series. Empty when no stream has a group.
   */
  private static void writeGroups(JsonGenerator g, List<WsManager> managers) throws IOException {
    Map<String, long[]> groups = new TreeMap<>();
    for (WsManager m : managers) {
      m.groupStats()
          .forEach(
              (name, s) -> {
                long[] t = groups.computeIfAbsent(name, k -> new long[7]);
                t[0] += s.activeConnections();
                t[1] += s.retries();
                t[2] += s.totalConnectionFailures();
                t[3] += s.messagesReceived();
                t[4] += s.heartbeatSuccesses();
                t[5] += s.heartbeatTimeouts();
                t[6] += s.negativeMessageDelays();
              });
    }
    g.writeObjectFieldStart("groups");
    for (Map.Entry<String, long[]> e : groups.entrySet()) {
      long[] t = e.getValue();
      g.writeObjectFieldStart(e.getKey());
      g.writeNumberField("activeConnections", t[0]);
      g.writeNumberField("retryCount", t[1]);
      g.writeNumberField("connectionFailuresTotal", t[2]);
      g.writeNumberField("messagesReceived", t[3]);
      g.writeNumberField("heartbeatSuccesses", t[4]);
      g.writeNumberField("heartbeatTimeouts", t[5]);
      g.writeNumberField("negativeMessageDelays", t[6]);
      g.writeEndObject();
    }
    g.writeEndObject();
  }

  private static void writeStream(JsonGenerator g, String manager, StreamSnapshot s)
      throws IOException {
    g.writeStartObject();
    g.writeStringField("manager", manager);
    g.writeStringField("id", s.id());
    g.writeStringField("group", s.group());
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
