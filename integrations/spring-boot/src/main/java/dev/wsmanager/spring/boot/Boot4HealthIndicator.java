package dev.wsmanager.spring.boot;

import dev.wsmanager.WsManager;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/** The {@code wsManager} health indicator on Spring Boot 4. */
class Boot4HealthIndicator implements HealthIndicator {
  private final WsManager manager;
  private final WsManagerProperties.FailedStreamsPolicy policy;

  Boot4HealthIndicator(WsManager manager, WsManagerProperties.FailedStreamsPolicy policy) {
    this.manager = manager;
    this.policy = policy;
  }

  @Override
  public Health health() {
    WsManagerHealth h = WsManagerHealth.of(manager, policy);
    return (h.up ? Health.up() : Health.down()).withDetails(h.details).build();
  }
}
