package dev.wsmanager.spring.boot;

import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.WsManager;
import dev.wsmanager.http.MetricsEndpoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Spring Boot auto-configuration for ws-manager (Boot 3.5 and 4.0): a {@link WsManager} bean from
 * the {@code ws-manager.*} properties, its streams opened at startup and closed before the web
 * server stops, its metrics on Boot's {@code PrometheusRegistry} or bound to Micrometer, the {@code
 * wsManager} health indicator, the {@code wsmanager} Actuator endpoint and, on request, the {@code
 * /api/ws/metrics} endpoint.
 */
@AutoConfiguration(
    afterName = {
      // Boot 3.5 and Boot 4.0 names of the auto-configuration that defines the PrometheusRegistry.
      "org.springframework.boot.actuate.autoconfigure.metrics.export.prometheus.PrometheusMetricsExportAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusMetricsExportAutoConfiguration"
    })
@ConditionalOnProperty(prefix = "ws-manager", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(WsManagerProperties.class)
public class WsManagerAutoConfiguration {
  /**
   * The manager. Its series go to Boot's {@code PrometheusRegistry} when there is one (so {@code
   * /actuator/prometheus} shows them with their native names), with Micrometer's common tags
   * ({@code management.metrics.tags.*}) as constant labels; otherwise to a registry of its own,
   * which the metrics endpoint serves and the Micrometer binder reads.
   *
   * @param props the properties
   * @param bootRegistry Boot's Prometheus registry, if any
   * @param environment for {@code management.metrics.tags.*}
   * @return the manager, closed by {@link WsManagerLifecycle} when the application stops
   */
  @Bean
  @ConditionalOnMissingBean
  public WsManager wsManager(
      WsManagerProperties props,
      ObjectProvider<PrometheusRegistry> bootRegistry,
      Environment environment) {
    WsManager.Builder builder =
        WsManager.builder().name(props.getName()).perStreamMetrics(props.isPerStreamMetrics());
    PrometheusRegistry registry = bootRegistry.getIfAvailable();
    if (registry != null) {
      builder.registry(registry);
      Map<String, String> tags =
          Binder.get(environment)
              .bind("management.metrics.tags", Bindable.mapOf(String.class, String.class))
              .orElse(Map.of());
      tags.forEach(builder::constantLabel);
    } else {
      builder.registry(new PrometheusRegistry());
    }
    return ConfiguredStreams.build(builder, props);
  }

  /**
   * Opens the configured streams at startup and closes the manager at shutdown. Specs are checked
   * here, so a bad value fails startup before anything connects.
   *
   * @param manager the manager
   * @param props the properties
   * @return the lifecycle
   */
  @Bean
  @ConditionalOnMissingBean
  public WsManagerLifecycle wsManagerLifecycle(WsManager manager, WsManagerProperties props) {
    ReconnectPolicy policy = ConfiguredStreams.policy(props.getReconnect());
    return new WsManagerLifecycle(manager, ConfiguredStreams.specs(props, policy));
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
  static class MicrometerConfiguration {
    @Bean
    @ConditionalOnMissingBean
    WsManagerMeterBinder wsManagerMeterBinder(
        WsManager manager, ObjectProvider<PrometheusRegistry> bootRegistry) {
      return new WsManagerMeterBinder(manager, bootRegistry);
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
  static class ActuatorEndpointConfiguration {
    @Bean
    @ConditionalOnMissingBean
    WsManagerStreamsEndpoint wsManagerStreamsEndpoint(WsManager manager) {
      return new WsManagerStreamsEndpoint(manager);
    }
  }

  /** Spring Boot 3: {@code org.springframework.boot.actuate.health}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
  static class Boot3HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "wsManagerHealthIndicator")
    Boot3HealthIndicator wsManagerHealthIndicator(WsManager manager, WsManagerProperties props) {
      return new Boot3HealthIndicator(manager, props.getHealth().getFailedStreams());
    }
  }

  /** Spring Boot 4: {@code org.springframework.boot.health.contributor}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class Boot4HealthConfiguration {
    @Bean
    @ConditionalOnMissingBean(name = "wsManagerHealthIndicator")
    Boot4HealthIndicator wsManagerHealthIndicator(WsManager manager, WsManagerProperties props) {
      return new Boot4HealthIndicator(manager, props.getHealth().getFailedStreams());
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  @ConditionalOnClass(name = "org.springframework.web.servlet.DispatcherServlet")
  @ConditionalOnProperty(prefix = "ws-manager.endpoint", name = "enabled", havingValue = "true")
  static class MetricsEndpointConfiguration {
    @Bean
    WsMetricsController wsMetricsController(WsManager manager, WsManagerProperties props) {
      WsManagerProperties.Endpoint e = props.getEndpoint();
      MetricsEndpoint.Builder builder =
          MetricsEndpoint.builder()
              .manager(manager)
              .registry(manager.registry())
              .headRequiresToken(e.isHeadRequiresToken());
      if (e.getToken() != null && !e.getToken().isEmpty()) {
        builder.bearerToken(e.getToken());
      }
      return new WsMetricsController(builder.build());
    }
  }
}
