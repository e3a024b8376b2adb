package dev.wsmanager.testing;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, for the faults a server cannot produce on its
 * own. It can reset every connection (RST, no close frame, no FIN), blackhole them (stop forwarding
 * both ways without closing: a half-open peer, or a server that accepts and never answers), refuse
 * new connections, and stop and start again on the same port (a server killed and restarted).
 *
 * <p>One selector thread does all socket work; the control methods hand it a task and wait for it,
 * so when one returns its effect has happened.
 */
public final class FaultProxy implements Closeable {
  private static final int BUFFER = 64 * 1024;
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final InetSocketAddress target;
  private final Selector selector;
  private final Thread loop;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger resets = new AtomicInteger();
  private final int port;

  // Selector thread only.
  private final Set<Pair> pairs = new LinkedHashSet<>();
  private ServerSocketChannel listener;
  private boolean blackholed;
  private volatile boolean closed;

  /** Starts a proxy on an ephemeral port of 127.0.0.1 that forwards to {@code targetPort}. */
  public FaultProxy(int targetPort) {
    this.target = new InetSocketAddress(LOOPBACK, targetPort);
    try {
      this.selector = Selector.open();
      this.listener = listen(0);
      this.port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    loop = new Thread(this::run, "fault-proxy-" + port);
    loop.setDaemon(true);
    loop.start();
  }

  public int port() {
    return port;
  }

  /** A {@code ws://} URL through the proxy, with {@code pathAndQuery} such as {@code /ws}. */
  public String url(String pathAndQuery) {
    return "ws://127.0.0.1:" + port + pathAndQuery;
  }

  public String url() {
    return url("/ws");
  }

  /** Connections currently proxied (accepted and not yet closed on both sides). */
  public int connections() {
    return connections.get();
  }

  /** Connections accepted since the proxy started. */
  public int accepted() {
    return accepted.get();
  }

  /** Connections reset by {@link #resetAll()}, {@link #resetRandom} or {@link #stop()}. */
  public int resets() {
    return resets.get();
  }

  /** Resets every proxied connection on both sides: the client and the server see an RST. */
  public int resetAll() {
    return call(
        () -> {
          int n = 0;
          for (Pair p : new ArrayList<>(pairs)) {
            p.reset();
            n++;
          }
          return n;
        });
  }

  /** Resets each proxied connection with probability {@code fraction}; returns how many. */
  public int resetRandom(double fraction, Random random) {
    return call(
        () -> {
          int n = 0;
          for (Pair p : new ArrayList<>(pairs)) {
            if (random.nextDouble() < fraction) {
              p.reset();
              n++;
            }
          }
          return n;
        });
  }

  /**
   * Stops (or resumes) forwarding in both directions without closing anything: bytes stay in the
   * kernel's buffers, no FIN, no RST. New connections are still accepted and then hang.
   */
  public void blackhole(boolean on) {
    call(
        () -> {
          blackholed = on;
          for (Pair p : new ArrayList<>(pairs)) {
            p.update();
          }
          return null;
        });
  }

  /** Closes the listening socket: new connections are refused; existing ones carry on. */
  public void refuse() {
    call(
        () -> {
          if (listener != null) {
            listener.close();
            listener = null;
          }
          return null;
        });
  }

  /** Listens again on the same port after {@link #refuse()} or {@link #stop()}. */
  public void accept() {
    call(
        () -> {
          if (listener == null) {
            listener = listen(port);
          }
          return null;
        });
  }

  /** The server dies: refuses new connections and resets every existing one. */
  public void stop() {
    refuse();
    resetAll();
  }

  /** The server comes back on the same port. */
  public void start() {
    accept();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    stop();
    closed = true;
    selector.wakeup();
    try {
      loop.join(5_000);
      selector.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private ServerSocketChannel listen(int onPort) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
    server.bind(new InetSocketAddress(LOOPBACK, onPort), 1024);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    return server;
  }

  private <T> T call(Callable<T> task) {
    CompletableFuture<T> result = new CompletableFuture<>();
    tasks.add(
        () -> {
          try {
            result.complete(task.call());
          } catch (Exception e) {
            result.completeExceptionally(e);
          }
        });
    selector.wakeup();
    try {
      return result.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("proxy task failed", e);
    }
  }

  private void run() {
    while (!closed) {
      try {
        selector.select();
      } catch (IOException e) {
        return;
      }
      Runnable task;
      while ((task = tasks.poll()) != null) {
        task.run();
      }
      for (SelectionKey key : selector.selectedKeys()) {
        if (!key.isValid()) {
          continue;
        }
        if (key.channel() instanceof ServerSocketChannel) {
          acceptAll((ServerSocketChannel) key.channel());
        } else {
          ((Pair) key.attachment()).handle(key);
        }
      }
      selector.selectedKeys().clear();
    }
    for (Pair p : new ArrayList<>(pairs)) {
      p.reset();
    }
  }

  private void acceptAll(ServerSocketChannel server) {
    while (true) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (client == null) {
        return;
      }
      accepted.incrementAndGet();
      try {
        Pair p = new Pair(client);
        pairs.add(p);
        connections.incrementAndGet();
        p.update();
      } catch (IOException e) {
        closeQuietly(client, true);
      }
    }
  }

  private static void closeQuietly(SocketChannel channel, boolean rst) {
    try {
      if (rst && channel.isOpen()) {
        channel.setOption(StandardSocketOptions.SO_LINGER, 0);
      }
    } catch (IOException ignored) {
      // closing anyway
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  /** One proxied connection: the client's socket and ours to the server. */
  private final class Pair {
    final SocketChannel client;
    final SocketChannel upstream;
    final SelectionKey clientKey;
    final SelectionKey upstreamKey;
    final ByteBuffer toUpstream = ByteBuffer.allocate(BUFFER); // fill mode
    final ByteBuffer toClient = ByteBuffer.allocate(BUFFER); // fill mode
    boolean connected;
    boolean clientEof;
    boolean upstreamEof;
    boolean clientOutputShut;
    boolean upstreamOutputShut;
    boolean done;

    Pair(SocketChannel client) throws IOException {
      this.client = client;
      client.configureBlocking(false);
      upstream = SocketChannel.open();
      try {
        upstream.configureBlocking(false);
        connected = upstream.connect(target);
      } catch (IOException e) {
        closeQuietly(upstream, false);
        throw e;
      }
      clientKey = client.register(selector, 0, this);
      upstreamKey = upstream.register(selector, 0, this);
    }

    void handle(SelectionKey key) {
      try {
        int ready = key.readyOps();
        if (key == upstreamKey && (ready & SelectionKey.OP_CONNECT) != 0) {
          connected = upstream.finishConnect();
        }
        if (!blackholed && (ready & SelectionKey.OP_READ) != 0) {
          if (key == clientKey) {
            clientEof |= client.read(toUpstream) < 0;
          } else {
            upstreamEof |= upstream.read(toClient) < 0;
          }
        }
        pump();
      } catch (IOException e) {
        finish(true); // one side broke: pass the RST on to the other
      }
    }

    private void pump() throws IOException {
      if (!blackholed) {
        if (connected) {
          flush(toUpstream, upstream);
        }
        flush(toClient, client);
        if (connected && clientEof && toUpstream.position() == 0 && !upstreamOutputShut) {
          upstream.shutdownOutput();
          upstreamOutputShut = true;
        }
        if (upstreamEof && toClient.position() == 0 && !clientOutputShut) {
          client.shutdownOutput();
          clientOutputShut = true;
        }
        if (clientOutputShut && upstreamOutputShut) {
          finish(false);
          return;
        }
      }
      update();
    }

    private void flush(ByteBuffer buffer, SocketChannel to) throws IOException {
      if (buffer.position() == 0) {
        return;
      }
      buffer.flip();
      try {
        to.write(buffer);
      } finally {
        buffer.compact();
      }
    }

    /** Sets what the selector waits for, from the buffers and the blackhole switch. */
    void update() {
      if (done) {
        return;
      }
      int c = 0;
      int u = connected ? 0 : SelectionKey.OP_CONNECT;
      if (!blackholed) {
        if (!clientEof && toUpstream.hasRemaining()) {
          c |= SelectionKey.OP_READ;
        }
        if (toClient.position() > 0) {
          c |= SelectionKey.OP_WRITE;
        }
        if (connected) {
          if (!upstreamEof && toClient.hasRemaining()) {
            u |= SelectionKey.OP_READ;
          }
          if (toUpstream.position() > 0) {
            u |= SelectionKey.OP_WRITE;
          }
        }
      }
      clientKey.interestOps(c);
      upstreamKey.interestOps(u);
    }

    void reset() {
      if (!done) {
        resets.incrementAndGet();
      }
      finish(true);
    }

    private void finish(boolean rst) {
      if (done) {
        return;
      }
      done = true;
      clientKey.cancel();
      upstreamKey.cancel();
      closeQuietly(client, rst);
      closeQuietly(upstream, rst);
      pairs.remove(this);
      connections.decrementAndGet();
    }
  }

  @Override
  public String toString() {
    return "FaultProxy{port="
        + port
        + ", connections="
        + connections.get()
        + ", accepted="
        + accepted.get()
        + ", resets="
        + resets.get()
        + '}';
  }
}
