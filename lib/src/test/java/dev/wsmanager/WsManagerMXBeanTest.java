package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The MXBean read and driven through the platform MBean server, as jconsole would. */
class WsManagerMXBeanTest {
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private final WsPeer peer = new WsPeer();

  @AfterEach
  void tearDown() {
    peer.close();
  }

  private WsManager manager(String name) {
    return WsManager.builder().name(name).registry(new PrometheusRegistry()).jmx(true).build();
  }

  @Test
  void exposesTheStatsAndTheOperationsAndIsGoneAfterClose() throws Exception {
    ObjectName name = new ObjectName("dev.wsmanager:type=WsManager,name=\"jmx-test\"");
    List<String> listing = new ArrayList<>();
    try (WsManager manager = manager("jmx-test")) {
      for (String id : List.of("a", "b")) {
        ManagedStream s =
            manager.open(StreamSpec.builder(id, peer.url()).pingInterval(Duration.ZERO).build());
        Await.until(id + " open", () -> s.state() == StreamState.OPEN);
      }
      assertThat(server.isRegistered(name)).isTrue();
      assertThat(server.getAttribute(name, "ActiveConnections")).isEqualTo(2L);
      assertThat(server.getAttribute(name, "Running")).isEqualTo(true);
      assertThat(server.getAttribute(name, "StreamIds")).isEqualTo(new String[] {"a", "b"});
      TabularData failures = (TabularData) server.getAttribute(name, "ConnectionFailures");
      assertThat(failures.get(new Object[] {"heartbeat_timeout"}).get("value")).isEqualTo(0L);

      MBeanInfo info = server.getMBeanInfo(name);
      listing.add(name.toString());
      for (MBeanAttributeInfo a : info.getAttributes()) {
        listing.add(
            "  attribute " + a.getName() + " = " + show(server.getAttribute(name, a.getName())));
      }
      for (MBeanOperationInfo o : info.getOperations()) {
        StringBuilder sig = new StringBuilder();
        for (var p : o.getSignature()) {
          sig.append(sig.length() == 0 ? "" : ", ").append(p.getType());
        }
        listing.add("  operation " + o.getReturnType() + " " + o.getName() + "(" + sig + ")");
      }
      assertThat(listing)
          .anyMatch(l -> l.startsWith("  operation boolean reconnect(java.lang.String)"))
          .anyMatch(l -> l.startsWith("  operation boolean close(java.lang.String)"))
          .anyMatch(l -> l.contains("closeIdle(java.lang.String)"));

      String[] sig = {"java.lang.String"};
      assertThat(server.invoke(name, "reconnect", new Object[] {"a"}, sig)).isEqualTo(true);
      assertThat(server.invoke(name, "reconnect", new Object[] {"zz"}, sig)).isEqualTo(false);
      assertThat(server.invoke(name, "close", new Object[] {"b"}, sig)).isEqualTo(true);
      Await.until("b closed", () -> manager.stream("b").isEmpty());
      assertThat((String[]) server.invoke(name, "closeIdle", new Object[] {"PT1H"}, sig)).isEmpty();
      assertThatThrownBy(() -> server.invoke(name, "closeIdle", new Object[] {"5 minutes"}, sig))
          .hasRootCauseMessage(
              "closeIdle needs an ISO-8601 duration such as PT5M, was '5 minutes'");
      assertThat(server.getAttribute(name, "AdminOperations")).isEqualTo(2L);
      listing.add(
          "  invoke reconnect(\"a\") -> true; reconnect(\"zz\") -> false; close(\"b\") -> true;"
              + " closeIdle(\"PT1H\") -> []; AdminOperations -> "
              + server.getAttribute(name, "AdminOperations"));
    }
    assertThat(server.isRegistered(name)).as("unregistered on close").isFalse();
    Path out = Path.of("target", "jmx-listing.txt");
    Files.write(out, listing);
  }

  @Test
  void aSecondManagerOfTheSameNameIsAClearErrorAndJmxIsOptIn() throws Exception {
    try (WsManager first = manager("jmx-dup")) {
      assertThatThrownBy(() -> manager("jmx-dup"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "an MBean named dev.wsmanager:type=WsManager,name=\"jmx-dup\" is already registered;"
                  + " give each manager with jmx(true) a unique name()");
      assertThat(first.isRunning()).isTrue();
    }
    try (WsManager off =
        WsManager.builder().name("jmx-off").registry(new PrometheusRegistry()).build()) {
      assertThat(off.isRunning()).isTrue();
      assertThat(
              server.isRegistered(new ObjectName("dev.wsmanager:type=WsManager,name=\"jmx-off\"")))
          .isFalse();
    }
  }

  private static String show(Object value) {
    if (value instanceof String[] a) {
      return List.of(a).toString();
    }
    if (value instanceof TabularData t) {
      List<String> entries = new ArrayList<>();
      for (Object row : t.values()) {
        CompositeData c = (CompositeData) row;
        entries.add(c.get("key") + "=" + c.get("value"));
      }
      entries.sort(null);
      return "{" + String.join(", ", entries) + "}";
    }
    return String.valueOf(value);
  }
}
