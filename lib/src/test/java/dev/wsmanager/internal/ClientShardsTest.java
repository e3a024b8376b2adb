package dev.wsmanager.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.StreamSpec;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.internal.concurrent.Task;
import okhttp3.internal.concurrent.TaskRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shards keep OkHttp's per-event walks short. They rely on OkHttp's internal task-runner API:
 * these tests fail when an OkHttp upgrade takes it away, before a benchmark would notice.
 */
class ClientShardsTest {
  private final ExecutorService io = Executors.newCachedThreadPool();
  private final AtomicInteger taskThreads = new AtomicInteger();
  private final ThreadFactory counting =
      r -> {
        taskThreads.incrementAndGet();
        Thread t = new Thread(r, "shard-test-task");
        t.setDaemon(true);
        return t;
      };
  private final StreamSpec spec = StreamSpec.builder("s", "ws://127.0.0.1:1/ws").build();

  @AfterEach
  void tearDown() {
    io.shutdownNow();
  }

  @Test
  void streamsFillAShardBeforeTheNextAndWrapAroundAfterTheLast() {
    ClientShards shards = new ClientShards(managerClient(), true, counting, ClientShards.SHARDS);
    OkHttpClient first = shards.next(spec);
    for (int i = 1; i < ClientShards.STREAMS_PER_SHARD; i++) {
      assertThat(shards.next(spec)).isSameAs(first);
    }
    OkHttpClient second = shards.next(spec);
    assertThat(second).isNotSameAs(first);
    assertThat(second.connectionPool()).isNotSameAs(first.connectionPool());
    assertThat(second.getTaskRunner$okhttp()).isNotSameAs(first.getTaskRunner$okhttp());
    assertThat(second.dispatcher()).isNotSameAs(first.dispatcher());
    for (int i = 1; i < ClientShards.STREAMS_PER_SHARD * (ClientShards.SHARDS - 1); i++) {
      shards.next(spec);
    }
    assertThat(shards.next(spec)).as("after the last shard, the first again").isSameAs(first);
    shards.shutdown();
  }

  @Test
  void eachShardHasItsOwnTaskRunnerOnTheGivenThreadsAndNoReadTimeout() {
    OkHttpClient base = managerClient();
    ClientShards shards = new ClientShards(base, true, counting, ClientShards.SHARDS);
    OkHttpClient client =
        shards.next(
            StreamSpec.builder("s", "ws://127.0.0.1:1/ws")
                .pingInterval(Duration.ofSeconds(7))
                .connectTimeout(Duration.ofSeconds(3))
                .build());
    assertThat(client.getTaskRunner$okhttp()).isNotSameAs(TaskRunner.INSTANCE);
    assertThat(client.connectionPool()).isNotSameAs(base.connectionPool());
    assertThat(client.readTimeoutMillis()).isZero();
    assertThat(client.pingIntervalMillis()).isEqualTo(7_000);
    assertThat(client.connectTimeoutMillis()).isEqualTo(4_000);
    assertThat(client.dispatcher().executorService()).isSameAs(io);
    assertThat(client.dispatcher().getMaxRequests()).isEqualTo(Integer.MAX_VALUE);

    client.getTaskRunner$okhttp().newQueue().schedule(noop("probe"), 0);
    dev.wsmanager.testing.Await.until(
        "a task ran on the given threads", () -> taskThreads.get() > 0);

    shards.shutdown();
    TaskRunner.RealBackend backend =
        (TaskRunner.RealBackend) client.getTaskRunner$okhttp().getBackend();
    dev.wsmanager.testing.Await.until(
        "task threads end once idle", () -> backend.getExecutor().getPoolSize() == 0);
    int before = taskThreads.get();
    client.getTaskRunner$okhttp().newQueue().schedule(noop("late"), 0);
    dev.wsmanager.testing.Await.until(
        "a task scheduled after close still runs", () -> taskThreads.get() > before);
  }

  @Test
  void onFewerRunnersShardsShareThemButNotTheirPools() {
    ClientShards shards = new ClientShards(managerClient(), true, counting, 2);
    OkHttpClient[] firstOfShard = new OkHttpClient[3];
    for (int shard = 0; shard < 3; shard++) {
      firstOfShard[shard] = shards.next(spec);
      for (int i = 1; i < ClientShards.STREAMS_PER_SHARD; i++) {
        shards.next(spec);
      }
    }
    assertThat(firstOfShard[2].getTaskRunner$okhttp())
        .isSameAs(firstOfShard[0].getTaskRunner$okhttp())
        .isNotSameAs(firstOfShard[1].getTaskRunner$okhttp());
    assertThat(firstOfShard[2].connectionPool()).isNotSameAs(firstOfShard[0].connectionPool());
    shards.shutdown();
  }

  @Test
  void aUsersClientKeepsItsDispatcherButNotItsPool() {
    Dispatcher users = new Dispatcher(io);
    users.setMaxRequests(500);
    OkHttpClient base = new OkHttpClient.Builder().dispatcher(users).build();
    ClientShards shards = new ClientShards(base, false, counting, ClientShards.SHARDS);
    OkHttpClient client = shards.next(spec);
    assertThat(client.dispatcher()).isSameAs(users);
    assertThat(client.connectionPool())
        .as("WebSockets stay out of the pool the user's other calls walk")
        .isNotSameAs(base.connectionPool());
    shards.shutdown();
  }

  /** A task that runs once; OkHttp's lambda form would take a Kotlin function. */
  private static Task noop(String name) {
    return new Task(name, true) {
      @Override
      public long runOnce() {
        return -1;
      }
    };
  }

  private OkHttpClient managerClient() {
    Dispatcher dispatcher = new Dispatcher(io);
    dispatcher.setMaxRequests(Integer.MAX_VALUE);
    dispatcher.setMaxRequestsPerHost(Integer.MAX_VALUE);
    return new OkHttpClient.Builder().dispatcher(dispatcher).build();
  }
}
