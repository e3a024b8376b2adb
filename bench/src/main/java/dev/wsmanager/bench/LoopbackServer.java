package dev.wsmanager.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * A WebSocket server for the scenarios, run as its own process so that its sockets and CPU time
 * stay out of the client's measurements and file-descriptor limit. One thread, one selector, any
 * number of ports on 127.0.0.1 (the {@code flood} mode uses a thread per connection instead). It
 * completes the handshake and then, by mode:
 *
 * <ul>
 *   <li>{@code flood}: writes pre-encoded 100-byte text frames as fast as the socket takes them, 1
 *       MiB (10,280 frames) per write call, from a blocking writer thread per connection, so that
 *       the server is several times faster than any client reading them (its ceiling, read by a
 *       reader that only discards bytes, is in the report);
 *   <li>{@code drain}: reads and discards everything;
 *   <li>{@code echo}: sends every data frame back, unmasked; answers a close frame and closes;
 *   <li>{@code stall}: never reads again (the client's outbound queue fills);
 *   <li>{@code idle}: reads and discards, never writes: the cheapest peer for 10,000 sockets.
 * </ul>
 *
 * <p>Usage: {@code LoopbackServer MODE [reuseport] PORT...} (port 0 picks a free one). Prints
 * {@code READY port...} once listening and runs until killed or until its standard input closes.
 */
public final class LoopbackServer {
  enum Mode {
    FLOOD,
    DRAIN,
    ECHO,
    STALL,
    IDLE
  }

  static final int FRAME_PAYLOAD = 100;
  private static final byte[] SWITCHING =
      ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Accept: ")
          .getBytes(StandardCharsets.US_ASCII);

  private final Mode mode;
  private final Selector selector;
  private final ByteBuffer floodFrames;
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);

  private LoopbackServer(Mode mode) throws IOException {
    this.mode = mode;
    this.selector = Selector.open();
    this.floodFrames = mode == Mode.FLOOD ? floodFrames() : null;
  }

  /** 10,280 text frames of 100 bytes each (about 1 MiB), encoded once. */
  static ByteBuffer floodFrames() {
    int frames = 10_280;
    ByteBuffer b = ByteBuffer.allocateDirect(frames * (2 + FRAME_PAYLOAD));
    byte[] payload = payload(FRAME_PAYLOAD);
    for (int i = 0; i < frames; i++) {
      b.put((byte) 0x81).put((byte) FRAME_PAYLOAD).put(payload);
    }
    return b.flip();
  }

  static byte[] payload(int size) {
    byte[] p = new byte[size];
    for (int i = 0; i < size; i++) {
      p[i] = (byte) ('a' + i % 26);
    }
    return p;
  }

  public static void main(String[] args) throws Exception {
    Mode mode = Mode.valueOf(args[0].toUpperCase(Locale.ROOT));
    boolean reusePort = false;
    List<Integer> ports = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("reuseport")) {
        reusePort = true;
      } else {
        ports.add(Integer.parseInt(args[i]));
      }
    }
    LoopbackServer server = new LoopbackServer(mode);
    StringBuilder ready = new StringBuilder("READY");
    for (int port : ports) {
      ServerSocketChannel ch = ServerSocketChannel.open();
      ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      if (reusePort) {
        ch.setOption(StandardSocketOptions.SO_REUSEPORT, true);
      }
      ch.bind(new InetSocketAddress("127.0.0.1", port), 8192);
      if (mode == Mode.FLOOD) {
        Thread acceptor = new Thread(() -> server.floodAccept(ch), "flood-accept-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
      } else {
        ch.configureBlocking(false);
        ch.register(server.selector, SelectionKey.OP_ACCEPT);
      }
      ready.append(' ').append(((InetSocketAddress) ch.getLocalAddress()).getPort());
    }
    Thread stdinWatch =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // wait for the parent to go away
                }
              } catch (IOException ignored) {
                // parent gone
              }
              Runtime.getRuntime().halt(0);
            },
            "stdin-watch");
    stdinWatch.setDaemon(true);
    stdinWatch.start();
    System.out.println(ready);
    System.out.flush();
    server.loop();
  }

  /** Flood mode: a blocking writer thread per connection, writing 1 MiB of frames per call. */
  private void floodAccept(ServerSocketChannel server) {
    while (true) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (IOException e) {
        return;
      }
      Thread writer =
          new Thread(
              () -> {
                try (ch) {
                  ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                  ByteBuffer in = ByteBuffer.allocate(4096);
                  String request = "";
                  while (!request.contains("\r\n\r\n")) {
                    if (ch.read(in) < 0) {
                      return;
                    }
                    request = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
                  }
                  ByteBuffer response = ByteBuffer.wrap(upgradeResponse(request));
                  while (response.hasRemaining()) {
                    ch.write(response);
                  }
                  ByteBuffer frames = floodFrames.duplicate();
                  while (true) {
                    if (!frames.hasRemaining()) {
                      frames.rewind();
                    }
                    ch.write(frames);
                  }
                } catch (IOException e) {
                  // the client went away
                }
              },
              "flood-" + ch.hashCode());
      writer.setDaemon(true);
      writer.start();
    }
  }

  /** Per-connection state. */
  private static final class Conn {
    final SocketChannel ch;
    ByteBuffer in = ByteBuffer.allocate(4096);
    boolean upgraded;
    ByteBuffer pending; // response or echo bytes not yet written

    Conn(SocketChannel ch) {
      this.ch = ch;
    }
  }

  private void loop() throws IOException {
    while (true) {
      selector.select();
      Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
      while (keys.hasNext()) {
        SelectionKey key = keys.next();
        keys.remove();
        try {
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            accept((ServerSocketChannel) key.channel());
            continue;
          }
          Conn c = (Conn) key.attachment();
          if (key.isReadable()) {
            read(key, c);
          }
          if (key.isValid() && key.isWritable()) {
            write(key, c);
          }
        } catch (IOException e) {
          key.cancel();
          key.channel().close();
        }
      }
    }
  }

  private void accept(ServerSocketChannel server) throws IOException {
    SocketChannel ch;
    while ((ch = server.accept()) != null) {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.register(selector, SelectionKey.OP_READ, new Conn(ch));
    }
  }

  private void read(SelectionKey key, Conn c) throws IOException {
    if (!c.upgraded) {
      if (c.ch.read(c.in) < 0) {
        throw new IOException("eof");
      }
      String request = new String(c.in.array(), 0, c.in.position(), StandardCharsets.ISO_8859_1);
      if (!request.contains("\r\n\r\n")) {
        return;
      }
      c.in.clear();
      c.upgraded = true;
      c.pending = ByteBuffer.wrap(upgradeResponse(request));
      int ops = SelectionKey.OP_WRITE;
      if (mode != Mode.STALL) {
        ops |= SelectionKey.OP_READ;
      }
      key.interestOps(ops);
      write(key, c);
      return;
    }
    if (mode == Mode.ECHO) {
      if (c.ch.read(c.in) < 0) {
        throw new IOException("eof");
      }
      echoFrames(key, c);
      return;
    }
    readBuffer.clear();
    if (c.ch.read(readBuffer) < 0) {
      throw new IOException("eof");
    }
  }

  private void write(SelectionKey key, Conn c) throws IOException {
    if (c.pending != null) {
      c.ch.write(c.pending);
      if (c.pending.hasRemaining()) {
        return;
      }
      c.pending = null;
    }
    key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
  }

  /** Answers every complete client frame in {@code c.in}: data frames echoed, close answered. */
  private void echoFrames(SelectionKey key, Conn c) throws IOException {
    ByteBuffer in = c.in;
    in.flip();
    ByteBuffer out = ByteBuffer.allocate(in.remaining() + 16);
    boolean close = false;
    while (in.remaining() >= 2) {
      int start = in.position();
      int b0 = in.get() & 0xff;
      int b1 = in.get() & 0xff;
      long len = b1 & 0x7f;
      int need = (len == 126 ? 2 : len == 127 ? 8 : 0) + ((b1 & 0x80) != 0 ? 4 : 0);
      if (in.remaining() < need) {
        in.position(start);
        break;
      }
      if (len == 126) {
        len = in.getShort() & 0xffff;
      } else if (len == 127) {
        len = in.getLong();
      }
      byte[] mask = new byte[4];
      if ((b1 & 0x80) != 0) {
        in.get(mask);
      }
      if (in.remaining() < len) {
        in.position(start);
        break;
      }
      byte[] payload = new byte[(int) len];
      in.get(payload);
      for (int i = 0; i < payload.length; i++) {
        payload[i] ^= mask[i & 3];
      }
      int opcode = b0 & 0x0f;
      if (opcode == 0x9) {
        b0 = 0x8a; // ping: answer with a pong
      }
      if (opcode == 0xa) {
        continue; // pong: nothing to answer
      }
      if (out.remaining() < payload.length + 10) {
        ByteBuffer bigger = ByteBuffer.allocate(out.capacity() * 2 + payload.length + 10);
        out.flip();
        bigger.put(out);
        out = bigger;
      }
      out.put((byte) b0);
      if (payload.length < 126) {
        out.put((byte) payload.length);
      } else if (payload.length < 65536) {
        out.put((byte) 126).putShort((short) payload.length);
      } else {
        out.put((byte) 127).putLong(payload.length);
      }
      out.put(payload);
      if (opcode == 0x8) {
        close = true;
        break;
      }
    }
    in.compact();
    if (in.remaining() == 0) {
      ByteBuffer bigger = ByteBuffer.allocate(in.capacity() * 2);
      in.flip();
      bigger.put(in);
      c.in = bigger;
    }
    out.flip();
    if (out.hasRemaining()) {
      if (c.pending == null) {
        c.pending = out;
      } else {
        ByteBuffer joined = ByteBuffer.allocate(c.pending.remaining() + out.remaining());
        joined.put(c.pending).put(out).flip();
        c.pending = joined;
      }
      c.ch.write(c.pending);
      if (c.pending.hasRemaining()) {
        key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
      } else {
        c.pending = null;
      }
    }
    if (close && c.pending == null) {
      throw new IOException("closed by client");
    }
  }

  private static byte[] upgradeResponse(String request) {
    String key = null;
    for (String line : request.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Sec-WebSocket-Key")) {
        key = line.substring(colon + 1).trim();
      }
    }
    String accept;
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1")
              .digest(
                  (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                      .getBytes(StandardCharsets.US_ASCII));
      accept = Base64.getEncoder().encodeToString(sha1);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] tail = (accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[SWITCHING.length + tail.length];
    System.arraycopy(SWITCHING, 0, out, 0, SWITCHING.length);
    System.arraycopy(tail, 0, out, SWITCHING.length, tail.length);
    return out;
  }
}
