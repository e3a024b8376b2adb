/**
 * Serves a manager's metrics over HTTP, typically at {@code /api/ws/metrics}: Prometheus text,
 * OpenMetrics or JSON on {@code GET}, a health probe on {@code HEAD}.
 *
 * <p>{@link dev.wsmanager.http.MetricsEndpoint} is framework-neutral (method, query and headers in;
 * status, headers and body out), so any HTTP stack can delegate to it: a Spring MVC controller, a
 * servlet, a Vert.x route. {@link dev.wsmanager.http.MetricsServer} serves it on a port of its own,
 * on Jetty 12.1.
 */
package dev.wsmanager.http;
