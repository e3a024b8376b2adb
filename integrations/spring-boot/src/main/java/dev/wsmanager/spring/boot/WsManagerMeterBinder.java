package dev.wsmanager.spring.boot;

import dev.wsmanager.WsManager;
import dev.wsmanager.micrometer.WsManagerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Binds the manager to Micrometer, unless the manager already registers its series on Spring Boot's
 * {@link PrometheusRegistry} (then {@code /actuator/prometheus} has them natively, and binding them
 * too would export them twice).
 */
class WsManagerMeterBinder implements MeterBinder, DisposableBean {
  private final WsManager manager;
  private final ObjectProvider<PrometheusRegistry> bootRegistry;
  private final java.util.List<WsManagerMetrics> bound = new java.util.ArrayList<>();

  WsManagerMeterBinder(WsManager manager, ObjectProvider<PrometheusRegistry> bootRegistry) {
    this.manager = manager;
    this.bootRegistry = bootRegistry;
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    if (manager.registry() == bootRegistry.getIfAvailable()) {
      return;
    }
    WsManagerMetrics metrics = new WsManagerMetrics(manager);
    metrics.bindTo(registry);
    bound.add(metrics);
  }

  @Override
  public synchronized void destroy() {
    bound.forEach(WsManagerMetrics::close);
    bound.clear();
  }
}
