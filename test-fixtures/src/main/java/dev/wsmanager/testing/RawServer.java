package dev.wsmanager.testing;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP server on 127.0.0.1 that misbehaves in ways a real server library will not: it accepts and
 * then never answers, or completes the WebSocket handshake and then goes silent (stops reading and
 * writing without closing, like a half-open peer).
 */
public final class RawServer implements Closeable {
  public enum Mode {
    /** Accept the TCP connection and never answer the upgrade request. */
    NEVER_ANSWER,
    /** Answer 101, then neither read nor write. */
    HANDSHAKE_THEN_SILENT,
    /** Answer 101, write the first byte of a text frame's header, then neither read nor write. */
    HANDSHAKE_THEN_PARTIAL_FRAME
  }

  private static final Pattern KEY = Pattern.compile("(?im)^Sec-WebSocket-Key:\\s*(\\S+)");
  private final ServerSocket server;
  private final Mode mode;
  public final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private final Thread acceptor;

  public RawServer(Mode mode) {
    this.mode = mode;
    try {
      server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    acceptor = new Thread(this::acceptLoop, "raw-server-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  public String url() {
    return "ws://127.0.0.1:" + server.getLocalPort() + "/ws";
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        accepted.add(socket);
        if (mode == Mode.HANDSHAKE_THEN_SILENT) {
          handshake(socket);
        } else if (mode == Mode.HANDSHAKE_THEN_PARTIAL_FRAME && handshake(socket)) {
          socket.getOutputStream().write(0x81); // FIN, text; the length byte never comes
          socket.getOutputStream().flush();
        }
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Reads the upgrade request and answers 101; false if the request ended or had no key. */
  private static boolean handshake(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder request = new StringBuilder();
    while (request.indexOf("\r\n\r\n") < 0) {
      int b = in.read();
      if (b < 0) {
        return false;
      }
      request.append((char) b);
    }
    Matcher m = KEY.matcher(request);
    if (!m.find()) {
      return false;
    }
    String accept;
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest(
                  (m.group(1) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                      .getBytes(StandardCharsets.US_ASCII));
      accept = Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    OutputStream out = socket.getOutputStream();
    out.write(
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: "
                + accept
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return true;
  }

  /** Resets the {@code index}th accepted connection: an RST, no close frame, no FIN. */
  public void reset(int index) {
    Await.until("connection #" + index, () -> accepted.size() > index);
    Socket socket = accepted.get(index);
    try {
      socket.setSoLinger(true, 0);
      socket.close();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
      for (Socket s : accepted) {
        s.close();
      }
      acceptor.join(5_000);
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
