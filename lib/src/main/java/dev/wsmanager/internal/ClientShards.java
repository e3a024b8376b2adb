package dev.wsmanager.internal;

import dev.wsmanager.StreamSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.logging.Logger;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.internal.concurrent.TaskRunner;
import okhttp3.internal.connection.ConnectionListener;
import org.slf4j.LoggerFactory;

/**
 * The OkHttp clients the streams connect with, spread over up to {@value #SHARDS} shards of {@value
 * #STREAMS_PER_SHARD} streams each, so that no OkHttp structure that is walked per event holds
 * every stream.
 *
 * <p>OkHttp keeps three such structures, each walked in full, under a lock, far more often than a
 * stream connects:
 *
 * <ul>
 *   <li>the <b>connection pool</b>: an upgraded WebSocket connection is never reused, yet it stays
 *       in its client's pool for its whole life, and the pool is walked (taking each connection's
 *       monitor) for every new call and every clean-up;
 *   <li>the <b>task runner</b>: every WebSocket has a task queue with its next ping scheduled, and
 *       the runner walks all such queues to pick the next task, for every task it runs: every ping,
 *       every write, every close;
 *   <li>the <b>dispatcher</b>'s running calls: every WebSocket is a running call for its whole
 *       life, and the deque of them is searched when one ends.
 * </ul>
 *
 * With every stream in one of each, opening N streams costs O(N²) and the pings of N idle streams
 * cost O(N²) per ping interval: at 19,000 streams these walks were nearly all of the CPU of opening
 * them and 0.8 of a core while idle. Each shard has a pool, a task runner (on the manager's
 * threads, which also makes them the manager's to stop at close) and, when the manager created the
 * client, a dispatcher on the same executor; a client the user passes in keeps its dispatcher and
 * its limits. Streams fill shards in order, so a manager with few streams uses one.
 *
 * <p>The task runner is set through OkHttp's internal API ({@code taskRunner$okhttp} and the pool's
 * constructor that takes one); if an OkHttp version lacks it, the shards share OkHttp's global
 * runner and everything else still holds.
 */
final class ClientShards {
  static final int SHARDS = 64;
  static final int STREAMS_PER_SHARD = 64;

  private static final org.slf4j.Logger log = LoggerFactory.getLogger(ClientShards.class);

  private final OkHttpClient base;
  private final boolean ownDispatchers;
  private final ThreadFactory taskThreads;
  private final int runners;
  private final AtomicReferenceArray<Shard> shards = new AtomicReferenceArray<>(SHARDS);
  private final AtomicInteger streams = new AtomicInteger();
  private final Map<List<Long>, OkHttpClient> clients = new ConcurrentHashMap<>();

  /** A shard; {@code runner} is null where OkHttp's internal API is missing. */
  private record Shard(ConnectionPool pool, Dispatcher dispatcher, TaskRunner runner) {}

  /**
   * @param ownDispatchers whether each shard gets a dispatcher of its own on the base dispatcher's
   *     executor (only for a client the manager created: a user's dispatcher and its limits stay)
   * @param taskThreads the threads that run the shards' OkHttp tasks (pings, writes, closes)
   * @param runners how many task runners the shards share, from 1 to {@value #SHARDS}: shard i uses
   *     runner i modulo this. Each runner keeps a coordinator thread while it has a task scheduled
   *     (every open WebSocket's next ping), so on platform threads a few, on virtual threads one
   *     per shard.
   */
  ClientShards(OkHttpClient base, boolean ownDispatchers, ThreadFactory taskThreads, int runners) {
    if (runners < 1 || runners > SHARDS) {
      throw new IllegalArgumentException("runners must be 1 to " + SHARDS + ", was " + runners);
    }
    this.base = base;
    this.ownDispatchers = ownDispatchers;
    this.taskThreads = taskThreads;
    this.runners = runners;
  }

  /**
   * The client for the next stream of {@code spec}: its shard's, with the spec's ping interval,
   * OkHttp's connect timeout a little longer than the spec's, so that the manager's timer decides
   * when an attempt has taken too long, and no read timeout: the stream's connect timer bounds the
   * handshake, pings and the idle timeout bound an open connection, and a read timeout left on an
   * upgraded socket costs CPU on every read.
   */
  OkHttpClient next(StreamSpec spec) {
    int index = Math.floorMod(streams.getAndIncrement() / STREAMS_PER_SHARD, SHARDS);
    long ping = spec.pingInterval().toMillis();
    long timeout = spec.connectTimeout().toMillis();
    return clients.computeIfAbsent(
        List.of(ping, timeout, (long) index),
        k -> {
          Shard shard = shard(index);
          OkHttpClient.Builder builder =
              base.newBuilder()
                  .connectionPool(shard.pool())
                  .pingInterval(ping, TimeUnit.MILLISECONDS)
                  .connectTimeout(timeout + 1_000, TimeUnit.MILLISECONDS)
                  .readTimeout(0, TimeUnit.MILLISECONDS);
          if (shard.dispatcher() != null) {
            builder.dispatcher(shard.dispatcher());
          }
          if (shard.runner() != null) {
            builder.taskRunner$okhttp(shard.runner());
          }
          return builder.build();
        });
  }

  private Shard shard(int index) {
    Shard shard = shards.get(index);
    if (shard != null) {
      return shard;
    }
    synchronized (shards) {
      shard = shards.get(index);
      if (shard == null) {
        Shard sharing = index >= runners ? shard(index % runners) : null;
        shard = newShard(sharing);
        shards.set(index, shard);
      }
      return shard;
    }
  }

  /** A new shard, with its own task runner or {@code sharing}'s. */
  private Shard newShard(Shard sharing) {
    Dispatcher dispatcher = null;
    if (ownDispatchers) {
      Dispatcher template = base.dispatcher();
      dispatcher = new Dispatcher(template.executorService());
      dispatcher.setMaxRequests(template.getMaxRequests());
      dispatcher.setMaxRequestsPerHost(template.getMaxRequestsPerHost());
    }
    TaskRunner runner = sharing != null ? sharing.runner() : newRunner();
    if (runner != null) {
      try {
        return new Shard(
            new ConnectionPool(
                0, 1, TimeUnit.SECONDS, runner, ConnectionListener.Companion.getNONE()),
            dispatcher,
            runner);
      } catch (LinkageError e) {
        log.debug("OkHttp's connection pool cannot take a task runner on this version", e);
      }
    }
    return new Shard(new ConnectionPool(0, 1, TimeUnit.SECONDS), dispatcher, null);
  }

  /** A task runner on the manager's threads, or null if this OkHttp version has no such API. */
  private TaskRunner newRunner() {
    try {
      return new TaskRunner(
          new TaskRunner.RealBackend(taskThreads), Logger.getLogger(TaskRunner.class.getName()));
    } catch (LinkageError e) {
      log.debug("OkHttp's task runner cannot be set on this version; the shards share OkHttp's", e);
      return null;
    }
  }

  /** Cancels the calls of the shards' own dispatchers; returns the executor they run on. */
  ExecutorService cancelAll() {
    forEachShard(
        shard -> {
          if (shard.dispatcher() != null) {
            shard.dispatcher().cancelAll();
          }
        });
    base.dispatcher().cancelAll();
    return base.dispatcher().executorService();
  }

  /**
   * Closes the pools' idle connections (an open WebSocket is closed by its stream) and lets the
   * shards' task threads end as soon as they are idle. Their executors are not shut down: a reader
   * finishing after close still schedules a task, and a runner whose executor rejects it is left
   * with a half-run task.
   */
  void shutdown() {
    forEachShard(
        shard -> {
          shard.pool().evictAll();
          if (shard.runner() != null
              && shard.runner().getBackend() instanceof TaskRunner.RealBackend tasks) {
            tasks.getExecutor().setKeepAliveTime(1, TimeUnit.MILLISECONDS);
          }
        });
  }

  private void forEachShard(java.util.function.Consumer<Shard> action) {
    for (int i = 0; i < SHARDS; i++) {
      Shard shard = shards.get(i);
      if (shard != null) {
        action.accept(shard);
      }
    }
  }
}
