/**
 * Serves a manager's metrics over HTTP, typically at {@code /api/ws/metrics}: Prometheus text,
 * OpenMetrics or JSON on {@code GET}, a health probe on {@code HEAD}.
 *
 * <p>{@link dev.wsmanager.http.MetricsEndpoint} is framework-neutral (method, query, {@code Accept}
 * and {@code Authorization} in; status, headers and body out), so any HTTP stack can delegate to
 * it. {@link dev.wsmanager.http.MetricsHttpHandler} mounts it on the JDK's {@code
 * com.sun.net.httpserver.HttpServer}.
 */
package dev.wsmanager.http;
