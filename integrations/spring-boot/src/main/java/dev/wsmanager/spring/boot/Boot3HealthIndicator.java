package dev.wsmanager.spring.boot;

import dev.wsmanager.WsManager;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/** The {@code wsManager} health indicator on Spring Boot 3. */
class Boot3HealthIndicator implements HealthIndicator {
  private final WsManager manager;
  private final WsManagerProperties.FailedStreamsPolicy policy;

  Boot3HealthIndicator(WsManager manager, WsManagerProperties.FailedStreamsPolicy policy) {
    this.manager = manager;
    this.policy = policy;
  }

  @Override
  public Health health() {
    WsManagerHealth h = WsManagerHealth.of(manager, policy);
    return (h.up ? Health.up() : Health.down()).withDetails(h.details).build();
  }
}
