package dev.wsmanager.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself (a malformed request line, a URI or headers too long, an exception
 * that escaped): one line of plain text naming the problem, never HTML, never an exception's name.
 */
final class OneLineErrors extends ErrorHandler {
  OneLineErrors() {
    setShowStacks(false);
    setShowCauses(false);
    setShowMessageInTitle(false);
    setCacheControl("no-store");
  }

  static String line(int status) {
    switch (status) {
      case 400:
        return "bad request";
      case 414:
        return "request URI too long; the query string may have at most "
            + MetricsEndpoint.MAX_QUERY_LENGTH
            + " characters";
      case 431:
        return "request headers too large; at most "
            + MetricsServer.MAX_REQUEST_HEADER_BYTES
            + " bytes";
      case 505:
        return "HTTP version not supported; use HTTP/1.1 or HTTP/1.0";
      case 500:
        return "internal error; see the server log";
      default:
        String reason = HttpStatus.getMessage(status);
        return status + " " + (reason == null ? "error" : reason);
    }
  }

  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    HttpFields.Mutable headers = response.getHeaders();
    headers.put(HttpHeader.CONTENT_TYPE, MetricsEndpoint.PLAIN_TEXT);
    headers.put("X-Content-Type-Options", "nosniff");
    ByteBuffer body = ByteBuffer.wrap((line(code) + "\n").getBytes(StandardCharsets.UTF_8));
    headers.put(HttpHeader.CONTENT_LENGTH, body.remaining());
    response.write(true, body, callback);
  }
}
