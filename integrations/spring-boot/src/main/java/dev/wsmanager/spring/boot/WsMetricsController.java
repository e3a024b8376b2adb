package dev.wsmanager.spring.boot;

import dev.wsmanager.http.MetricsEndpoint;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * Mounts the metrics endpoint ({@code ws-manager.endpoint.path}, default {@code /api/ws/metrics})
 * on the application's servlet server. Mapped without a method restriction, so that the endpoint
 * answers 405 itself; the response (status, headers, body) is the endpoint's, unchanged.
 */
@Controller
class WsMetricsController {
  private final MetricsEndpoint endpoint;

  WsMetricsController(MetricsEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @RequestMapping("${ws-manager.endpoint.path:/api/ws/metrics}")
  void metrics(HttpServletRequest request, HttpServletResponse response) throws IOException {
    MetricsEndpoint.Response r =
        endpoint.handle(
            request.getMethod(),
            request.getQueryString(),
            name -> Collections.list(request.getHeaders(name)));
    response.setStatus(r.status());
    r.headers().forEach(response::setHeader);
    if (!"HEAD".equals(request.getMethod())) {
      response.setContentLength(r.bodyLength());
      r.writeBody(response.getOutputStream());
    }
  }
}
