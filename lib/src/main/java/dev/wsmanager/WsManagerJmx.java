package dev.wsmanager;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link WsManagerMXBean} of one manager and its registration on the platform server. */
final class WsManagerJmx implements WsManagerMXBean {
  private static final Logger log = LoggerFactory.getLogger(WsManager.class);

  private final WsManager manager;
  private final ObjectName objectName;

  private WsManagerJmx(WsManager manager, ObjectName objectName) {
    this.manager = manager;
    this.objectName = objectName;
  }

  static ObjectName objectName(String managerName) {
    try {
      return new ObjectName("dev.wsmanager:type=WsManager,name=" + ObjectName.quote(managerName));
    } catch (JMException e) {
      throw new IllegalArgumentException(
          "manager name '" + managerName + "' is not usable in JMX", e);
    }
  }

  /** Fails fast, before the manager starts anything, when the name is taken. */
  static void checkAvailable(String managerName) {
    if (ManagementFactory.getPlatformMBeanServer().isRegistered(objectName(managerName))) {
      throw new IllegalStateException(alreadyRegistered(managerName));
    }
  }

  private static String alreadyRegistered(String managerName) {
    return "an MBean named "
        + objectName(managerName)
        + " is already registered; give each"
        + " manager with jmx(true) a unique name()";
  }

  static WsManagerJmx register(WsManager manager) {
    WsManagerJmx bean = new WsManagerJmx(manager, objectName(manager.name()));
    try {
      ManagementFactory.getPlatformMBeanServer().registerMBean(bean, bean.objectName);
    } catch (InstanceAlreadyExistsException e) {
      throw new IllegalStateException(alreadyRegistered(manager.name()), e);
    } catch (JMException e) {
      throw new IllegalStateException("could not register " + bean.objectName, e);
    }
    return bean;
  }

  void unregister() {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try {
      server.unregisterMBean(objectName);
    } catch (InstanceNotFoundException e) {
      // already gone: close is idempotent
    } catch (JMException e) {
      log.warn("could not unregister {}", objectName, e);
    }
  }

  private ManagerStats stats() {
    return manager.stats();
  }

  @Override
  public String getName() {
    return manager.name();
  }

  @Override
  public boolean isRunning() {
    return manager.isRunning();
  }

  @Override
  public long getActiveConnections() {
    return stats().activeConnections();
  }

  @Override
  public long getActiveConnectionsHwm() {
    return stats().activeConnectionsHwm();
  }

  @Override
  public long getRetries() {
    return stats().retries();
  }

  @Override
  public long getStreamCreations() {
    return stats().streamCreations();
  }

  @Override
  public long getStreamCleanups() {
    return stats().streamCleanups();
  }

  @Override
  public long getConnectionAttempts() {
    return stats().connectionAttempts();
  }

  @Override
  public Map<String, Long> getConnectionFailures() {
    Map<String, Long> out = new LinkedHashMap<>();
    stats().connectionFailures().forEach((r, n) -> out.put(r.label(), n));
    return out;
  }

  @Override
  public long getMessagesReceived() {
    return stats().messagesReceived();
  }

  @Override
  public long getMessagesSent() {
    return stats().messagesSent();
  }

  @Override
  public long getListenerErrors() {
    return stats().listenerErrors();
  }

  @Override
  public Map<String, Long> getStreamsByState() {
    Map<String, Long> out = new LinkedHashMap<>();
    stats().streamsByState().forEach((s, n) -> out.put(s.label(), n));
    return out;
  }

  @Override
  public long getHeartbeatSuccesses() {
    return stats().heartbeatSuccesses();
  }

  @Override
  public long getHeartbeatTimeouts() {
    return stats().heartbeatTimeouts();
  }

  @Override
  public long getNegativeMessageDelays() {
    return stats().negativeMessageDelays();
  }

  @Override
  public long getAdminOperations() {
    return stats().adminOperations();
  }

  @Override
  public List<String> getStreamIds() {
    return manager.streams().stream().map(StreamSnapshot::id).toList();
  }

  @Override
  public boolean reconnect(String id) {
    log.info("JMX: reconnect '{}' requested on manager '{}'", printable(id), manager.name());
    return manager.reconnect(id);
  }

  @Override
  public boolean close(String id) {
    log.info("JMX: close '{}' requested on manager '{}'", printable(id), manager.name());
    return manager.close(id);
  }

  @Override
  public List<String> closeIdle(String duration) {
    Duration idle;
    try {
      idle = Duration.parse(duration);
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException(
          "closeIdle needs an ISO-8601 duration such as PT5M, was '" + printable(duration) + "'");
    }
    log.info("JMX: closeIdle {} requested on manager '{}'", idle, manager.name());
    return manager.closeIdle(idle);
  }

  private static String printable(String s) {
    return Check.printable(s);
  }
}
